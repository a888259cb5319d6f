// Draws every Plotly figure whose JSON sits in a <script type="application/json"> block.
// No inline scripts: the Content-Security-Policy forbids them.
document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (block) {
  var figure = JSON.parse(block.textContent);
  var target = document.getElementById(block.dataset.chart);
  if (target && window.Plotly) {
    Plotly.newPlot(target, figure.data, figure.layout, {displaylogo: false, responsive: true});
  }
});
// Pages that show live results refresh themselves while the workers catch up.
var refresh = document.querySelector("[data-refresh-seconds]");
if (refresh) {
  setTimeout(function () { window.location.reload(); }, 1000 * Number(refresh.dataset.refreshSeconds));
}
