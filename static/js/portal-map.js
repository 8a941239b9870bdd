// The report form's map: draws the center's areas (from /report/areas.geojson) and puts the
// point the resident taps into the hidden latitude/longitude inputs. The server decides where
// the point lies; this only helps the resident see it. Without this script (or without
// Leaflet) the map stays hidden and the resident chooses the community from the list.
(function () {
  "use strict";

  var configNode = document.getElementById("portal-map-config");
  var block = document.querySelector("[data-portal-map]");
  if (!configNode || !block || !window.L || !window.fetch) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var text = config.text || {};
  var latInput = document.querySelector('[data-map-input="lat"]');
  var lonInput = document.querySelector('[data-map-input="lon"]');
  var community = document.querySelector('select[name="community"]');
  var status = block.querySelector("[data-map-status]");
  var locate = block.querySelector("[data-map-locate]");
  var clear = block.querySelector("[data-map-clear]");

  block.hidden = false;
  var map = L.map(block.querySelector(".portal-map"), {
    attributionControl: Boolean(config.tiles),
    zoomSnap: 0.25,
  });
  map.setView([0, 0], 2);
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
  }

  var areas = [];
  var marker = null;
  var DEPTH = { street: 1, community: 2, grid: 3 };
  var STYLE = {
    street: { color: "#5d6b7a", weight: 3, fill: false },
    community: { color: "#1f5fa8", weight: 2, fillOpacity: 0.06 },
    grid: { color: "#1f5fa8", weight: 1, dashArray: "4 4", fillOpacity: 0.04 },
  };

  // Ray casting over one ring of [longitude, latitude] positions.
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
    if (!geometry) {
      return false;
    }
    if (geometry.type === "Polygon") {
      return inPolygon(lon, lat, geometry.coordinates);
    }
    if (geometry.type === "MultiPolygon") {
      return geometry.coordinates.some(function (rings) {
        return inPolygon(lon, lat, rings);
      });
    }
    return false;
  }

  // The deepest area holding the point (a grid before its community), or null.
  function areaAt(lat, lon) {
    var best = null;
    areas.forEach(function (feature) {
      var props = feature.properties || {};
      if (contains(feature.geometry, lon, lat)) {
        if (!best || (DEPTH[props.level] || 0) > (DEPTH[best.properties.level] || 0)) {
          best = feature;
        }
      }
    });
    return best;
  }

  function communityOf(feature) {
    var props = feature.properties;
    if (props.level === "community") {
      return props.id;
    }
    if (props.level === "grid") {
      return props.parent;
    }
    return null;
  }

  function say(message, outside) {
    status.textContent = message || "";
    status.classList.toggle("outside", Boolean(outside));
  }

  function place(lat, lon) {
    var area = areas.length ? areaAt(lat, lon) : null;
    if (areas.length && !area) {
      say(text.outside, true);
      return;
    }
    latInput.value = lat.toFixed(6);
    lonInput.value = lon.toFixed(6);
    if (marker) {
      marker.setLatLng([lat, lon]);
    } else {
      marker = L.circleMarker([lat, lon], {
        radius: 9, color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.5,
      }).addTo(map);
    }
    if (area) {
      say((text.marked || "{place}").replace("{place}", area.properties.name));
      var id = communityOf(area);
      if (community && id !== null) {
        community.value = String(id);
      }
    } else {
      say(text.markedNowhere);
    }
    block.dataset.marked = "1";
  }

  map.on("click", function (event) {
    place(event.latlng.lat, event.latlng.lng);
  });

  clear.addEventListener("click", function () {
    latInput.value = "";
    lonInput.value = "";
    if (marker) {
      map.removeLayer(marker);
      marker = null;
    }
    delete block.dataset.marked;
    say("");
  });

  if (navigator.geolocation && window.isSecureContext) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      say(text.locating);
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var lat = position.coords.latitude, lon = position.coords.longitude;
          map.setView([lat, lon], Math.max(map.getZoom(), 16));
          place(lat, lon);
        },
        function () {
          say(text.locateFailed, true);
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  fetch(config.areas, { credentials: "same-origin" })
    .then(function (response) {
      return response.json();
    })
    .then(function (collection) {
      areas = collection.features || [];
      var layer = L.geoJSON(collection, {
        interactive: false,
        style: function (feature) {
          return Object.assign({ interactive: false }, STYLE[feature.properties.level] || STYLE.grid);
        },
      }).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [8, 8] });
      }
      if (latInput.value && lonInput.value) {
        place(parseFloat(latInput.value), parseFloat(lonInput.value));
      }
      block.dataset.ready = "1";
    })
    .catch(function () {
      block.dataset.ready = "1";  // the map still takes a point; the server checks it
    });
})();
