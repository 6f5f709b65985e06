"""The error codes of the ledger (the transparency log), declared once and raised by name.

See the catalogue in ``accord.core.errors``; the codes are a public contract. The checks of an
entry's fields answer ``ledger.invalid_<field>`` (one code per field, built in ``entries``).
"""

from __future__ import annotations

from accord.core.errors import AccordError, catalogue


class LedgerUnavailable(AccordError):
    """The sequencer is overloaded (back-pressure) or not reachable: retry later, nothing was
    written. 429 (Too Many Requests), the client error that says "retry": the house rule keeps
    every declared error a 4xx."""

    status = 429


E = catalogue("ledger")

UNKNOWN_TYPE = E.invalid("ledger.unknown_type", "未知的存证类型。", "Unknown ledger entry type.")
EMPTY_BATCH = E.invalid("ledger.empty_batch", "批次为空。", "The batch is empty.")
BATCH_TOO_LARGE = E.invalid(
    "ledger.batch_too_large", "批次过大：每批最多 {limit} 条。", "At most {limit} entries a batch."
)
ENTRY_TOO_LARGE = E.invalid(
    "ledger.entry_too_large",
    "存证条目过大：每条最多 {limit} 字节。",
    "A ledger entry is at most {limit} bytes.",
)
ENTRY_REJECTED = E.invalid(
    "ledger.entry_rejected",
    "存证系统拒绝了该条目：{reason}",
    "The evidence ledger refused the entry: {reason}",
)
SEQUENCER_BUSY = E.declare(
    "ledger.sequencer_busy",
    "存证系统繁忙，请稍后重试。",
    "The evidence ledger is busy; please try again shortly.",
    LedgerUnavailable,
)
SEQUENCER_UNAVAILABLE = E.declare(
    "ledger.sequencer_unavailable",
    "存证系统暂不可用，请稍后重试。",
    "The evidence ledger is unavailable; please try again shortly.",
    LedgerUnavailable,
)
INVALID_TREE_SIZE = E.invalid(
    "ledger.invalid_tree_size", "树大小应为正整数。", "The tree size must be a positive integer."
)
TREE_SIZE_BEYOND_LOG = E.invalid(
    "ledger.tree_size_beyond_log",
    "树大小超出日志当前大小（{current}）。",
    "The tree size is beyond the log's current size ({current}).",
)
INVALID_FIRST_SIZE = E.invalid(
    "ledger.invalid_first_size",
    "第一个树大小应为正整数且不大于第二个。",
    "The first size must be positive and not above the second.",
)
INVALID_FIRST = E.invalid(
    "ledger.invalid_first", "参数 first 应为非负整数。", "first must be a non-negative integer."
)
INVALID_SECOND = E.invalid(
    "ledger.invalid_second", "参数 second 应为非负整数。", "second must be a non-negative integer."
)
INVALID_LEAF_HASH = E.invalid(
    "ledger.invalid_leaf_hash",
    "叶哈希应为 64 位十六进制或 Base64 编码的 32 字节。",
    "The leaf hash must be 32 bytes, as 64 hex digits or base64.",
)
NO_CHECKPOINT = E.not_found("ledger.no_checkpoint")
UNKNOWN_CHECKPOINT = E.not_found("ledger.unknown_checkpoint")
UNKNOWN_LEAF_HASH = E.not_found("ledger.unknown_leaf_hash")
LEAF_NOT_IN_TREE = E.not_found("ledger.leaf_not_in_tree")
UNKNOWN_INDEX = E.not_found("ledger.unknown_index")
UNKNOWN_TILE = E.not_found("ledger.unknown_tile")
