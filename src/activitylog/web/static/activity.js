/* activitylog — the Activity Log page's script. Plain JS, no build step, no dependencies.
 *
 * The page works without it (the filter form is a GET form, sort and page links are links);
 * with it, filtering, searching, sorting and paging fetch /activity/partials and swap the
 * returned HTML fragments in, keeping the URL in step with history.pushState.
 */
(() => {
  "use strict";

  document.documentElement.classList.add("js");

  // Any page: the workspace switcher submits on change.
  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form[data-autosubmit]");
    if (form) form.requestSubmit();
  });

  const body = document.body;
  if (!body || !body.hasAttribute("data-activity")) return;

  const FRAGMENTS = ["kpis", "charts", "table", "filters"];
  const SEARCH_DELAY = 300;
  // The embedded page reads through its embed cookie; its requests say so, so that a
  // session cookie of the same browser is not used instead.
  const embedded = body.dataset.base === "/embed";
  const form = document.getElementById("filters");
  const search = document.getElementById("f-search");
  const detail = document.getElementById("detail");
  const detailBody = detail.querySelector("[data-detail-body]");
  const confirmDelete = document.getElementById("confirm-delete");
  const bulkbar = document.querySelector("[data-bulkbar]");
  const toastEl = document.querySelector("[data-toast]");
  const fetchError = document.querySelector("[data-fetch-error]");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');

  // The view the server rendered (after an invalid link, the default view it fell back to).
  let currentQuery = body.dataset.query !== undefined ? body.dataset.query : stripped(location.search);
  let controller = null;
  let searchTimer = 0;
  let toastTimer = 0;
  let detailOpener = null;
  const selected = new Set();

  // -- helpers ---------------------------------------------------------------------------
  function authHeaders(extra) {
    const headers = Object.assign({}, extra || {});
    if (embedded) headers["X-Activitylog-Embed"] = "1";
    return headers;
  }

  /** A query string without a viewer token (the server trades it for a cookie). */
  function stripped(query) {
    const params = new URLSearchParams(query);
    params.delete("token");
    return params.toString();
  }

  /** The filter form as a query string: empty fields left out, back to page 1. */
  function formQuery() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name === "token" || typeof value !== "string" || value.trim() === "") continue;
      params.append(name, value.trim());
    }
    return params.toString();
  }

  function showToast(message) {
    toastEl.textContent = message;
    toastEl.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toastEl.hidden = true; }, 4000);
  }

  function showError(message) {
    if (!message) {
      fetchError.hidden = true;
      return;
    }
    fetchError.querySelector("[data-fetch-error-text]").textContent = message;
    fetchError.hidden = false;
  }

  async function errorMessage(response) {
    if (response.status === 401) {
      return embedded
        ? "This embedded view has expired. Reload the page to get a fresh link."
        : "Your session ended. Reload the page to sign in again.";
    }
    try {
      const data = await response.json();
      return data.message || data.error || "The request failed (" + response.status + ").";
    } catch (_) {
      return "The request failed (" + response.status + ").";
    }
  }

  // -- fragments -------------------------------------------------------------------------
  /** Fetch the fragments for ``query`` and swap them in; ``mode`` is push, replace or none. */
  async function load(query, mode) {
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    body.classList.add("is-loading");
    try {
      const response = await fetch("/activity/partials" + (query ? "?" + query : ""), {
        headers: authHeaders({ Accept: "application/json" }),
        credentials: "same-origin",
        signal,
      });
      if (!response.ok) {
        showError(await errorMessage(response));
        return false;
      }
      const data = await response.json();
      swap(data);
      currentQuery = stripped(new URL(data.url, location.origin).search);
      if (mode === "push" && data.url !== location.pathname + location.search) {
        history.pushState({ activity: true }, "", data.url);
      } else if (mode === "replace") {
        history.replaceState({ activity: true }, "", data.url);
      }
      showError("");
      return true;
    } catch (error) {
      if (error.name !== "AbortError") showError("Could not reach the server. Check your connection and try again.");
      return false;
    } finally {
      if (controller && controller.signal === signal) {
        body.classList.remove("is-loading");
        controller = null;
      }
    }
  }

  function swap(data) {
    const focusedId = document.activeElement && document.activeElement.id;
    for (const key of FRAGMENTS) {
      const holder = document.querySelector('[data-fragment="' + key + '"]');
      if (holder && typeof data[key] === "string") holder.innerHTML = data[key];
    }
    if (focusedId && document.activeElement === document.body) {
      const again = document.getElementById(focusedId);
      if (again) again.focus();
    }
    clearSelection();
  }

  // -- filters and navigation -------------------------------------------------------------
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    load(formQuery(), "push");
  });

  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => load(formQuery(), "push"), SEARCH_DELAY);
  });

  form.addEventListener("change", (event) => {
    const field = event.target;
    if (field === search) return;
    if (field.matches("[data-range]")) {
      const custom = field.value === "custom";
      const dates = form.querySelector("[data-custom-dates]");
      dates.hidden = !custom;
      dates.querySelectorAll("input").forEach((input) => { input.disabled = !custom; });
      if (custom) {
        dates.querySelector("input").focus();
        return;
      }
    }
    // A custom range needs both dates, whole and in order (the server refuses anything
    // else, and typing a year fires a change per digit): wait until they are.
    const chosen = field.closest("[data-custom-dates]");
    if (chosen && !datesReady(chosen)) return;
    load(formQuery(), "push");
  });

  function datesReady(dates) {
    const [since, until] = dates.querySelectorAll("input");
    const whole = [since, until].every((input) => input.value && input.checkValidity());
    return whole && since.value <= until.value;
  }

  // Selects outside the form that belong to it (rows per page).
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-autosubmit-field]")) load(formQuery(), "push");
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-nav]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    if (link.hasAttribute("data-close-after") && detail.open) detail.close();
    const url = new URL(link.href, location.href);
    if (url.searchParams.has("search") || link.hasAttribute("data-reset")) {
      search.value = url.searchParams.get("search") || "";
    }
    load(stripped(url.search), "push").then((ok) => {
      if (ok && link.closest(".pager")) {
        document.getElementById("events-title")?.scrollIntoView({ block: "start" });
      }
    });
  });

  window.addEventListener("popstate", () => {
    search.value = new URLSearchParams(location.search).get("search") || "";
    load(stripped(location.search), "none");
  });

  document.querySelector("[data-refresh]").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    button.setAttribute("aria-busy", "true");
    const ok = await load(currentQuery, "none");
    button.removeAttribute("aria-busy");
    if (ok) showToast("Refreshed");
  });

  // The viewer's time zone, once, when the link did not name one.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && !new URLSearchParams(location.search).has("tz") && zone !== body.dataset.tz) {
    const tzField = form.querySelector("[data-tz-field]");
    if (tzField) tzField.value = zone;
    const params = new URLSearchParams(currentQuery);
    params.set("tz", zone);
    load(params.toString(), "replace");
  }

  // -- keyboard ----------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    const row = target.matches && target.matches("tr[data-row]") ? target : null;
    if (!row) return;
    const rows = Array.from(document.querySelectorAll("tr[data-row]"));
    const index = rows.indexOf(row);
    if (event.key === "ArrowDown" || event.key === "j") {
      event.preventDefault();
      (rows[index + 1] || row).focus();
    } else if (event.key === "ArrowUp" || event.key === "k") {
      event.preventDefault();
      (rows[index - 1] || row).focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      openDetail(row.dataset.id, row);
    } else if (event.key === "x" || event.key === " ") {
      event.preventDefault();
      const box = row.querySelector("[data-select]");
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // -- detail panel ------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-details]");
    if (button) {
      event.preventDefault();
      // Closing returns focus to the button that opened the panel (its row is marked open).
      openDetail(button.dataset.details, button);
      return;
    }
    const row = event.target.closest("tr[data-row]");
    if (row && !event.target.closest("a, button, input, label") && !String(getSelection())) {
      openDetail(row.dataset.id, row);
    }
  });

  async function openDetail(id, opener) {
    detailOpener = opener;
    document.querySelectorAll("tr.is-open").forEach((r) => r.classList.remove("is-open"));
    const row = opener && opener.closest ? opener.closest("tr") : null;
    if (row) row.classList.add("is-open");
    detailBody.innerHTML = '<p class="drawer__loading">Loading…</p>';
    if (!detail.open) detail.showModal();
    const tz = new URLSearchParams(currentQuery).get("tz") || body.dataset.tz || "UTC";
    try {
      const response = await fetch(
        "/activity/events/" + encodeURIComponent(id) + "?tz=" + encodeURIComponent(tz),
        { headers: authHeaders({ "X-Fragment": "1" }), credentials: "same-origin" },
      );
      detailBody.innerHTML = await response.text();
    } catch (_) {
      detailBody.textContent = "Could not load this entry. Check your connection and try again.";
    }
    const heading = detailBody.querySelector("#detail-sentence");
    (heading || detail.querySelector("[data-close]")).focus();
  }

  detail.addEventListener("close", () => {
    document.querySelectorAll("tr.is-open").forEach((r) => r.classList.remove("is-open"));
    const opener = detailOpener;
    detailOpener = null;
    if (opener && document.contains(opener)) opener.focus();
  });

  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select, textarea, [tabindex="0"]';
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog || event.target.closest("[data-close]")) dialog.close();
    });
    // Keep Tab inside the open dialog (a modal <dialog> would let it reach the browser UI).
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const items = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter((el) => el.offsetParent !== null);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement) || document.activeElement.id === "detail-sentence")) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
  }

  // -- selection and bulk actions ----------------------------------------------------------
  function rowBoxes() {
    return Array.from(document.querySelectorAll("[data-select]"));
  }

  function updateSelection() {
    const boxes = rowBoxes();
    selected.clear();
    for (const box of boxes) {
      if (box.checked) selected.add(box.value);
      box.closest("tr").classList.toggle("is-selected", box.checked);
    }
    const all = document.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && selected.size === boxes.length;
      all.indeterminate = selected.size > 0 && selected.size < boxes.length;
    }
    bulkbar.hidden = selected.size === 0;
    body.classList.toggle("has-bulkbar", selected.size > 0);
    bulkbar.querySelector("[data-selected-count]").textContent = String(selected.size);
  }

  function clearSelection() {
    rowBoxes().forEach((box) => { box.checked = false; });
    updateSelection();
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-all]")) {
      rowBoxes().forEach((box) => { box.checked = event.target.checked; });
      updateSelection();
    } else if (event.target.matches("[data-select]")) {
      updateSelection();
    }
  });

  bulkbar.querySelector("[data-clear-selection]").addEventListener("click", clearSelection);

  bulkbar.querySelector("[data-export-selected]").addEventListener("click", () => {
    const params = new URLSearchParams(currentQuery);
    for (const name of ["page", "per_page", "sort", "group", "id"]) params.delete(name);
    params.set("format", "csv");
    selected.forEach((id) => params.append("id", id));
    download("/api/v1/export?" + params.toString(), "activity-selected.csv");
  });

  /** Same-origin download; embedded pages mark their request, so fetch a blob. */
  async function download(url, filename) {
    if (!embedded) {
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.appendChild(a);
      a.click();
      a.remove();
      return;
    }
    const response = await fetch(url, { headers: authHeaders(), credentials: "same-origin" });
    if (!response.ok) {
      showError(await errorMessage(response));
      return;
    }
    const blobUrl = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = blobUrl;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(blobUrl), 1000);
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-export]");
    if (!link || !embedded) return;
    event.preventDefault();
    const format = new URL(link.href, location.href).searchParams.get("format") || "csv";
    download(link.href, "activity." + format);
  });

  const deleteButton = bulkbar.querySelector("[data-delete-selected]");
  if (deleteButton && confirmDelete) {
    const deleteForm = confirmDelete.querySelector("[data-delete-form]");
    const deleteError = confirmDelete.querySelector("[data-delete-error]");
    deleteButton.addEventListener("click", () => {
      const n = selected.size;
      confirmDelete.querySelector("[data-delete-count]").textContent =
        n.toLocaleString() + (n === 1 ? " entry" : " entries");
      deleteError.hidden = true;
      deleteForm.reset();
      confirmDelete.showModal();
      confirmDelete.querySelector("textarea").focus();
    });
    confirmDelete.addEventListener("close", () => deleteButton.focus());
    deleteForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = deleteForm.elements.reason.value.trim();
      if (!reason) {
        deleteError.textContent = "Give a reason: it is recorded with the deletion.";
        deleteError.hidden = false;
        return;
      }
      const ids = Array.from(selected);
      const submit = deleteForm.querySelector('[type="submit"]');
      submit.disabled = true;
      try {
        const response = await fetch("/api/v1/events/delete", {
          method: "POST",
          credentials: "same-origin",
          headers: authHeaders({
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRF-Token": csrfMeta ? csrfMeta.content : "",
          }),
          body: JSON.stringify({ ids, reason }),
        });
        if (!response.ok) {
          deleteError.textContent = await errorMessage(response);
          deleteError.hidden = false;
          return;
        }
        confirmDelete.close();
        await load(currentQuery, "none");
        showToast("Deleted " + ids.length.toLocaleString() + (ids.length === 1 ? " entry" : " entries"));
      } catch (_) {
        deleteError.textContent = "Could not reach the server. Nothing was deleted.";
        deleteError.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
  }
})();
