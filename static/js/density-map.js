// Case density by grid on the trends page: each grid's boundary, shaded by the number of
// cases received there in the period (from the page's json_script). Tiles come only from
// the configured server; without one the grids are drawn on a plain background.
(function () {
  "use strict";
  var dataNode = document.getElementById("density-data");
  var configNode = document.getElementById("density-config");
  var block = document.querySelector("[data-density-map]");
  if (!dataNode || !block || !window.L) {
    return;
  }
  var density = JSON.parse(dataNode.textContent);
  var config = configNode ? JSON.parse(configNode.textContent) : {};
  if (!density.features.length) {
    return;
  }
  block.hidden = false;
  var map = L.map(block, { attributionControl: Boolean(config.tiles), zoomSnap: 0.25 });
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
  }
  var most = Math.max.apply(null, density.features.map(function (f) {
    return f.properties.count;
  })) || 1;
  var layer = L.geoJSON(density, {
    style: function (feature) {
      var share = feature.properties.count / most;
      return { color: "#1f5fa8", weight: 1, fillColor: "#c0392b", fillOpacity: 0.08 + 0.62 * share };
    },
    onEachFeature: function (feature, shape) {
      shape.bindTooltip(feature.properties.name + ": " + feature.properties.count);
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });
})();
