// Field-work forms: "add another finding" grows a Django formset from its <template>, and
// each finding's map point is tapped on a small map of the chosen grid, with a warning at
// once when it lies outside (the server says the same and asks for a reason). Without this
// script one finding can be entered and its point typed as latitude and longitude.
(function () {
  "use strict";

  // --- formsets ---------------------------------------------------------------------------
  document.querySelectorAll("[data-formset-add]").forEach(function (button) {
    var prefix = button.getAttribute("data-formset-add");
    var form = button.form || button.closest("form");
    var list = form.querySelector('[data-formset="' + prefix + '"]');
    var template = form.querySelector('template[data-formset-empty="' + prefix + '"]');
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var most = form.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    if (!list || !template || !total) {
      return;
    }
    function full() {
      return most && parseInt(total.value, 10) >= parseInt(most.value, 10);
    }
    button.hidden = full();
    button.addEventListener("click", function () {
      if (full()) {
        return;
      }
      var index = parseInt(total.value, 10);
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      while (holder.firstChild) {
        var node = holder.firstChild;
        list.appendChild(node);
        if (node.nodeType === 1) {
          node.querySelectorAll("[data-finding-point]").forEach(setUpPoint);
        }
      }
      total.value = String(index + 1);
      button.hidden = full();
    });
  });

  // --- map points -------------------------------------------------------------------------
  var configNode = document.getElementById("field-point-config");
  var config = configNode ? JSON.parse(configNode.textContent) : null;
  var text = (config && config.text) || {};

  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
        inside = !inside;
      }
    }
    return inside;
  }

  function inPolygon(lon, lat, rings) {
    if (!inRing(lon, lat, rings[0])) {
      return false;
    }
    for (var h = 1; h < rings.length; h++) {
      if (inRing(lon, lat, rings[h])) {
        return false;
      }
    }
    return true;
  }

  function contains(geometry, lon, lat) {
    if (geometry.type === "Polygon") {
      return inPolygon(lon, lat, geometry.coordinates);
    }
    return geometry.coordinates.some(function (rings) { return inPolygon(lon, lat, rings); });
  }

  function chosenGrid(form) {
    var select = form.querySelector('select[name="grid"]');
    return select && config.grids[select.value];
  }

  function setUpPoint(details) {
    var form = details.closest("form");
    var lat = details.querySelector('[data-map-input="lat"]');
    var lon = details.querySelector('[data-map-input="lon"]');
    var box = details.querySelector("[data-point-map]");
    var warning = details.querySelector("[data-point-outside]");
    var locate = details.querySelector("[data-point-locate]");
    var map = null;
    var outline = null;
    var marker = null;

    function check() {
      var grid = chosenGrid(form);
      var y = parseFloat(lat.value), x = parseFloat(lon.value);
      var outside = Boolean(grid) && !isNaN(x) && !isNaN(y) && !contains(grid, x, y);
      warning.textContent = outside ? text.outside || "" : "";
      warning.hidden = !outside;
      if (map && !isNaN(x) && !isNaN(y)) {
        if (marker) {
          marker.setLatLng([y, x]);
        } else {
          marker = L.circleMarker([y, x], { radius: 8, color: "#b3261e", weight: 3 }).addTo(map);
        }
      }
    }

    function drawGrid() {
      if (!map) {
        return;
      }
      if (outline) {
        map.removeLayer(outline);
        outline = null;
      }
      var grid = chosenGrid(form);
      if (grid) {
        outline = L.geoJSON(grid, { style: { color: "#1f5fa8", weight: 2, fillOpacity: 0.05 } })
          .addTo(map);
        map.fitBounds(outline.getBounds(), { padding: [8, 8] });
      }
    }

    function place(y, x) {
      lat.value = y.toFixed(6);
      lon.value = x.toFixed(6);
      check();
    }

    function open() {
      if (map || !window.L) {
        return;
      }
      box.hidden = false;
      map = L.map(box, { attributionControl: Boolean(config.tiles), zoomSnap: 0.25 });
      map.setView([0, 0], 2);
      if (config.tiles) {
        L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
      }
      map.on("click", function (event) { place(event.latlng.lat, event.latlng.lng); });
      drawGrid();
      check();
    }

    if (!config) {
      return;
    }
    details.addEventListener("toggle", function () {
      if (details.open) {
        open();
        map && map.invalidateSize();
      }
    });
    if (details.open) {
      open();
    }
    [lat, lon].forEach(function (input) { input.addEventListener("change", check); });
    var gridSelect = form.querySelector('select[name="grid"]');
    if (gridSelect) {
      gridSelect.addEventListener("change", function () { drawGrid(); check(); });
    }
    if (locate && navigator.geolocation && window.isSecureContext) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(
          function (position) {
            place(position.coords.latitude, position.coords.longitude);
            map && map.setView([position.coords.latitude, position.coords.longitude], 17);
          },
          function () {
            warning.textContent = text.locateFailed || "";
            warning.hidden = false;
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
    check();
  }

  document.querySelectorAll("[data-finding-point]").forEach(setUpPoint);
})();
