// Draws every chart whose ECharts options the page carries as JSON: the
// options are built in Go and written by html/template into
// <script type="application/json" data-chart="ID">, so user text in labels
// is data, never markup or code.
(function () {
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
    var target = document.getElementById(el.dataset.chart);
    if (!target || !window.echarts) {
      return;
    }
    var chart = window.echarts.init(target);
    chart.setOption(JSON.parse(el.textContent));
    target.dataset.drawn = "1";
  });
})();
