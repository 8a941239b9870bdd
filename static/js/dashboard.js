// The dashboard's charts (Apache ECharts, vendored). The data and the link behind every bar
// or point come from the page (json_script); a click opens the list of those cases, the
// same list the table under each chart links to. Without this script the tables remain.
(function () {
  "use strict";
  var dataNode = document.getElementById("dashboard-charts");
  if (!dataNode || !window.echarts) {
    return;
  }
  var charts = JSON.parse(dataNode.textContent);
  document.querySelectorAll("[data-chart]").forEach(function (node) {
    var data = charts[node.getAttribute("data-chart")];
    if (!data || !data.values.length) {
      node.hidden = true;
      return;
    }
    var line = node.getAttribute("data-kind") === "line";
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 16, top: 16, bottom: line ? 32 : 64 },
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category",
        data: data.labels,
        axisLabel: line ? {} : { interval: 0, rotate: 30 },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        {
          type: line ? "line" : "bar",
          data: data.values,
          itemStyle: { color: "#1f5fa8" },
          cursor: "pointer",
        },
      ],
    });
    chart.on("click", function (event) {
      var url = data.links[event.dataIndex];
      if (url) {
        window.location.href = url;
      }
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  });
})();
