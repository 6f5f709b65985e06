// The statistics page's charts: cases by month (received, settled), by street, by claim.
(function () {
  var data = document.getElementById("mediation-chart-data");
  if (!data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var charts = [];
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el);
    chart.setOption(option);
    charts.push(chart);
  }
  var labels = JSON.parse(document.getElementById("mediation-chart-labels").textContent);
  draw("chart-month", {
    tooltip: { trigger: "axis" }, legend: { data: [labels.received, labels.settled] },
    grid: { left: 40, right: 12, top: 32, bottom: 40 },
    xAxis: { type: "category", data: d.months }, yAxis: { type: "value" },
    series: [
      { name: labels.received, type: "bar", data: d.received, itemStyle: { color: "#1f4e79" } },
      { name: labels.settled, type: "bar", data: d.settled, itemStyle: { color: "#2e7d32" } }
    ]
  });
  draw("chart-street", {
    tooltip: {}, grid: { left: 40, right: 12, top: 16, bottom: 72 },
    xAxis: { type: "category", data: d.streets, axisLabel: { rotate: 40 } }, yAxis: { type: "value" },
    series: [{ type: "bar", data: d.street_received, itemStyle: { color: "#8b1a1a" } }]
  });
  draw("chart-claim", { tooltip: { trigger: "item" }, series: [{ type: "pie", radius: "60%", data: d.claims }] });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
