// vodstack web app: search-as-you-type, confirmations, and a CSRF-aware fetch helper.
// No framework, no build step; everything degrades to plain links and forms without it.
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // fetch() for the JSON API: unsafe methods carry the double-submit CSRF header; `extra`
  // adds headers (an Idempotency-Key, for instance).
  async function api(method, url, body, extra) {
    const headers = Object.assign({ Accept: "application/json" }, extra || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = csrfToken();
    const response = await fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const message = data && data.error ? data.error.message : "Request failed.";
      throw Object.assign(new Error(message), { status: response.status, data: data });
    }
    return data;
  }
  window.vodstack = { api: api, csrfToken: csrfToken };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    (children || []).forEach((c) => node.append(c));
    return node;
  }

  function posterNode(title) {
    const img = el("img", { src: title.artwork_url, alt: "", loading: "lazy", width: "320", height: "180" });
    const text = el("span", { class: "poster-text" }, [el("span", { class: "poster-name" }, [title.name])]);
    const children = [img, text];
    if (title.availability === "processing") {
      children.push(el("span", { class: "badge badge-processing" }, ["Processing"]));
    }
    const link = el("a", {
      class: "poster", href: "/title/" + title.id, "data-title-id": String(title.id),
      "data-testid": "poster",
    }, children);
    return el("div", { class: "tile", "data-title-id": String(title.id) }, [link]);
  }

  function setupSearch() {
    const input = document.getElementById("search-input");
    const results = document.getElementById("search-results");
    const main = document.getElementById("main");
    if (!input || !results) return;
    const onSearchPage = window.location.pathname === "/search";
    let timer = null;
    let latest = 0;

    function show(nodes) {
      results.replaceChildren(...nodes);
      results.hidden = false;
      if (!onSearchPage && main) main.hidden = true;
    }
    function hide() {
      results.replaceChildren();
      results.hidden = !onSearchPage;
      if (main) main.hidden = false;
    }

    async function run() {
      const q = input.value.trim();
      const mine = ++latest;
      if (onSearchPage) {
        const url = q ? "/search?q=" + encodeURIComponent(q) : "/search";
        window.history.replaceState(null, "", url);
      }
      if (!q) { hide(); return; }
      results.setAttribute("aria-busy", "true");
      try {
        const data = await api("GET", "/api/search?q=" + encodeURIComponent(q) + "&limit=40");
        if (mine !== latest) return; // a newer keystroke already asked
        if (data.items.length === 0) {
          show([el("p", { class: "empty", id: "search-empty" }, ["No titles match \u201c" + q + "\u201d."])]);
        } else {
          const grid = el("div", { class: "poster-grid" }, data.items.map(posterNode));
          show([el("h2", { class: "results-heading" }, ["Results for \u201c" + q + "\u201d"]), grid]);
        }
      } catch (err) {
        if (mine === latest) show([el("p", { class: "form-error", role: "alert" }, [err.message])]);
      } finally {
        if (mine === latest) results.removeAttribute("aria-busy");
      }
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { input.value = ""; run(); }
    });
  }

  // Forms with data-confirm ask before submitting (delete buttons).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", setupSearch);
})();
