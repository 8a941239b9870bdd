// Forms marked data-offline keep what was typed when the network is gone, and send it when
// it comes back. Each form carries a hidden idempotency key (name="client_key", set by the
// server when the form is rendered); the server answers a repeated key with the record it
// already made, so a form sent twice — once lost in transit, once resent — creates one.
// Photos travel too, as data URLs (up to 8 MB in all; the server re-encodes them anyway).
(function () {
  "use strict";
  var STORE = "yimen-offline-forms";
  var LIMIT = 8 * 1024 * 1024;

  function pending() {
    try {
      return JSON.parse(window.localStorage.getItem(STORE) || "[]");
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    window.localStorage.setItem(STORE, JSON.stringify(list));
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve({ name: file.name, type: file.type, data: reader.result }); };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  function serialise(form) {
    var fields = [];
    var files = [];
    var size = 0;
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name || element.disabled) {
        return;
      }
      if (element.type === "file") {
        Array.prototype.forEach.call(element.files, function (file) {
          size += file.size;
          if (size <= LIMIT) {
            files.push(readFile(file).then(function (f) { f.field = element.name; return f; }));
          }
        });
      } else if ((element.type !== "checkbox" && element.type !== "radio") || element.checked) {
        fields.push([element.name, element.value]);
      }
    });
    return Promise.all(files).then(function (read) {
      return { action: form.action, fields: fields, files: read, at: Date.now() };
    });
  }

  function toBody(entry) {
    var body = new FormData();
    entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    entry.files.forEach(function (file) {
      var bytes = atob(file.data.split(",")[1]);
      var array = new Uint8Array(bytes.length);
      for (var i = 0; i < bytes.length; i++) {
        array[i] = bytes.charCodeAt(i);
      }
      body.append(file.field, new Blob([array], { type: file.type }), file.name);
    });
    return body;
  }

  function send(entry) {
    return fetch(entry.action, { method: "POST", body: toBody(entry), credentials: "same-origin" });
  }

  function flush() {
    var list = pending();
    if (!list.length || !navigator.onLine) {
      return;
    }
    var left = [];
    var chain = Promise.resolve();
    list.forEach(function (entry) {
      chain = chain.then(function () {
        return send(entry).then(function (response) {
          if (response.status >= 500) {
            left.push(entry);
          } else if (response.status >= 400) {
            // Refused (a field to correct): show the server's form, filled in as sent.
            return show(response);
          }
        }, function () { left.push(entry); });
      });
    });
    chain.then(function () {
      save(left);
      var note = document.querySelector("[data-offline-pending]");
      if (note) {
        note.hidden = !left.length;
      }
    });
  }

  function keep(form) {
    return serialise(form).then(function (entry) {
      var list = pending();
      list.push(entry);
      save(list);
      var note = form.querySelector("[data-offline-saved]");
      if (note) {
        note.hidden = false;
      }
    });
  }

  function show(response) {
    if (response.redirected) {
      window.location.href = response.url;
      return;
    }
    return response.text().then(function (html) {
      document.open();
      document.write(html);
      document.close();
    });
  }

  // Every submit goes through fetch: when the network fails, nothing typed is lost.
  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!navigator.onLine) {
        keep(form);
        return;
      }
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(show, function () { return keep(form); });
    });
  });
  window.addEventListener("online", flush);
  flush();
})();
