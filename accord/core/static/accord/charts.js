// Draws the bar charts whose data a page embeds with json_script.
(function () {
  var el = document.getElementById("street-chart");
  var data = document.getElementById("street-data");
  if (!el || !data || !window.echarts) return;
  var d = JSON.parse(data.textContent);
  var chart = echarts.init(el);
  chart.setOption({
    grid: { left: 48, right: 16, top: 16, bottom: 64 },
    tooltip: {},
    xAxis: { type: "category", data: d.labels, axisLabel: { rotate: 40 } },
    yAxis: { type: "value" },
    series: [{ type: "bar", data: d.values, itemStyle: { color: "#8b1a1a" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
