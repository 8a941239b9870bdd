// The field map: the user's grids, open cases with a point and open hazards, each a layer
// fetched from its own scoped JSON endpoint. The checkboxes show and hide layers; the
// category refetches the cases. Tiles come only from the configured server; without one the
// layers are drawn on a plain background.
(function () {
  "use strict";
  var configNode = document.getElementById("field-map-config");
  var block = document.querySelector("[data-field-map]");
  var filters = document.querySelector("[data-field-map-filters]");
  var status = document.querySelector("[data-field-map-status]");
  if (!configNode || !block || !window.L || !window.fetch) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var text = config.text || {};
  block.hidden = false;
  var map = L.map(block, { attributionControl: Boolean(config.tiles), zoomSnap: 0.25 });
  map.setView([0, 0], 2);
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
  }

  function link(props, label) {
    var anchor = document.createElement("a");
    anchor.href = props.url;
    anchor.textContent = label;
    return anchor;
  }

  function popup(props, first, second) {
    var box = document.createElement("div");
    box.appendChild(link(props, first));
    var line = document.createElement("div");
    line.textContent = second;
    box.appendChild(line);
    return box;
  }

  var STYLE = {
    grids: function () {
      return { color: "#1f5fa8", weight: 2, fillOpacity: 0.05 };
    },
  };
  var MARKER = {
    cases: { radius: 7, color: "#b3261e", weight: 2, fillColor: "#b3261e", fillOpacity: 0.6 },
    hazards: { radius: 7, color: "#a15c00", weight: 2, fillColor: "#f0a000", fillOpacity: 0.7 },
  };
  var DESCRIBE = {
    grids: function (p) {
      return popup(p, p.name + " (" + p.code + ")", (text.worker || "") + ": " + (p.worker || text.none || ""));
    },
    cases: function (p) {
      return popup(p, p.number, p.title + " · " + p.category + " · " + p.status);
    },
    hazards: function (p) {
      return popup(p, p.number, p.description + " · " + p.deadline);
    },
  };

  var layers = {};
  var fitted = false;

  function shown(name) {
    var box = filters && filters.querySelector('input[name="layer"][value="' + name + '"]');
    return !box || box.checked;
  }

  function load(name, query) {
    var url = config.layers[name] + (query || "");
    return fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        if (layers[name]) {
          map.removeLayer(layers[name]);
        }
        layers[name] = L.geoJSON(collection, {
          style: STYLE[name],
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, MARKER[name]);
          },
          onEachFeature: function (feature, shape) {
            shape.bindPopup(DESCRIBE[name](feature.properties));
          },
        });
        layers[name].truncated = Boolean(collection.truncated);
        if (shown(name)) {
          layers[name].addTo(map);
        }
        block.dataset[name] = String(collection.features.length);
      });
  }

  function fit() {
    var bounds = L.latLngBounds([]);
    Object.keys(layers).forEach(function (name) {
      var b = layers[name].getBounds();
      if (b.isValid()) {
        bounds.extend(b);
      }
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [8, 8], maxZoom: 17 });
      fitted = true;
    }
  }

  function say() {
    status.textContent = layers.cases && layers.cases.truncated ? text.truncated || "" : "";
  }

  function casesQuery() {
    var select = filters && filters.querySelector('select[name="category"]');
    return select && select.value ? "?category=" + encodeURIComponent(select.value) : "";
  }

  if (filters) {
    filters.addEventListener("change", function (event) {
      if (event.target.name === "category") {
        load("cases", casesQuery()).then(say);
        return;
      }
      var layer = layers[event.target.value];
      if (layer) {
        if (event.target.checked) {
          layer.addTo(map);
        } else {
          map.removeLayer(layer);
        }
      }
    });
    filters.addEventListener("submit", function (event) { event.preventDefault(); });
  }

  Promise.all(Object.keys(config.layers).map(function (name) {
    return load(name, name === "cases" ? casesQuery() : "").catch(function () {});
  })).then(function () {
    if (!fitted) {
      fit();
    }
    say();
    block.dataset.ready = "1";
  });
})();
