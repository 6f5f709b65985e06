import pytest

from accord.core.errors import Conflict, InvalidInput, PermissionDenied
from accord.core.models import AuditEntry
from accord.identity import services
from accord.identity.models import Enterprise, Person, ResidentRegistryRecord, Role
from tests.conftest import make_uscc, resident_id

pytestmark = pytest.mark.django_db


def enterprise_data(**kw):
    data = dict(
        name="深圳测试有限公司",
        uscc=make_uscc(4242),
        legal_representative="王五",
        address="福田区深南大道1号",
        street="futian",
        industry="66",
    )
    data.update(kw)
    return data


def test_duplicate_enterprise_is_a_conflict_and_writes_nothing():
    services.create_enterprise(**enterprise_data())
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as e:
        services.create_enterprise(**enterprise_data(name="另一家"))
    assert (e.value.code, e.value.field, e.value.status) == (
        "identity.enterprise_duplicate",
        "uscc",
        409,
    )
    assert Enterprise.objects.count() == 1 and AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("street", "pudong", "identity.street_unknown"),
        ("industry", "99", "identity.industry_unknown"),
        ("uscc", "91440304MA5XXXXXX0", "identity.uscc_checksum"),
        ("name", "", "core.required"),
    ],
)
def test_bad_enterprise_input_names_the_field_and_writes_nothing(field, value, code):
    with pytest.raises(InvalidInput) as e:
        services.create_enterprise(**enterprise_data(**{field: value}))
    assert (e.value.code, e.value.field) == (code, field)
    assert not Enterprise.objects.exists() and not AuditEntry.objects.exists()


def test_update_records_before_and_after(make_enterprise):
    enterprise = make_enterprise()
    services.update_enterprise(enterprise, {"address": "福田区新地址 8 号"})
    entry = AuditEntry.objects.get(action="identity.enterprise.update")
    assert entry.changes["address"][1] == "福田区新地址 8 号"


def test_person_with_several_bad_fields_gets_every_problem():
    with pytest.raises(InvalidInput) as e:
        services.create_person(name="", id_number="110105194912310021", phone="123")
    assert {p.field for p in e.value.problems} == {"name", "id_number", "phone"}
    assert not Person.objects.exists()


def test_duplicate_person_is_found_through_the_blind_index(make_person):
    person = make_person()
    with pytest.raises(Conflict):
        services.create_person(name="别人", id_number=person.id_number)
    assert services.find_person("resident", person.id_number) == person
    assert services.find_person_by_phone(person.phone) == person


def test_registry_verification_verified_mismatch_unknown(make_person):
    alice, bob, carol = make_person(name="张三"), make_person(name="李四"), make_person(name="王五")
    csv = (
        f"name,id_type,id_number\n张三,resident,{alice.id_number}\n"
        f"李四改,resident,{bob.id_number}\n"
    ).encode()
    assert services.import_registry(csv, "registry.csv") == {
        "imported": 2,
        "updated": 0,
        "skipped": 0,
    }
    results = {p.name: services.verify_person(p).result for p in (alice, bob, carol)}
    assert results == {"张三": "verified", "李四": "mismatch", "王五": "unknown"}
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.verification_level == "registry" and alice.verified_at is not None
    assert bob.verification_level == "checksum"


def test_registry_import_reports_every_bad_row_and_imports_nothing():
    csv = (
        f"name,id_type,id_number\n张三,resident,{resident_id(1)}\n"
        f",resident,{resident_id(2)}\n李四,resident,110105194912310021\n"
    ).encode()
    with pytest.raises(InvalidInput) as e:
        services.import_registry(csv, "bad.csv")
    assert [(p.row, p.column) for p in e.value.problems] == [(3, "name"), (4, "id_number")]
    assert not ResidentRegistryRecord.objects.exists()
    assert services.import_registry(csv, "bad.csv", skip_bad_rows=True)["imported"] == 1


def test_registry_import_refuses_wrong_columns():
    with pytest.raises(InvalidInput) as e:
        services.import_registry(b"nom,numero\nx,y\n", "x.csv")
    assert e.value.code == "import.columns_missing"


def test_registry_holds_no_personal_data_in_clear(make_person):
    person = make_person(name="赵六")
    services.import_registry(
        f"name,id_type,id_number\n赵六,resident,{person.id_number}\n".encode(), "r.csv"
    )
    record = ResidentRegistryRecord.objects.get()
    assert person.id_number not in record.id_number_index and "赵六" not in record.name_index


def test_revealing_personal_data_is_audited(make_person, make_user):
    person = make_person()
    data = services.reveal_personal_data(person, make_user(Role.WORKER, person=person))
    assert data.id_number == person.id_number
    assert (
        AuditEntry.objects.filter(
            action="identity.person.view_personal_data", object_id=str(person.public_id)
        ).count()
        == 1
    )


def test_personal_data_is_revealed_only_to_roles_that_need_it(make_person, make_user):
    person = make_person()
    auditor = make_user(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.reveal_personal_data(person, auditor)
    assert not AuditEntry.objects.filter(action="identity.person.view_personal_data").exists()
