/* activitylog — the Activity Log page's script. Plain JS, no build step, no dependencies.
 *
 * The page works without it (the filter form is a GET form, sort and page links are links);
 * with it, filtering, searching, sorting and paging fetch /activity/partials and swap the
 * returned HTML fragments in, keeping the URL in step with history.pushState, focus on the
 * control used (or the results' heading) and the result announced in a polite live region.
 */
(() => {
  "use strict";

  document.documentElement.classList.add("js");

  // -- selects (any page) -----------------------------------------------------------------
  // Arrowing through a closed select changes its value at every step: a select that acts
  // on change (fetches, submits) waits for Enter or for focus to leave when the change came
  // from such a key, and acts at once for a pick with the mouse or from the open list.
  const STEP_KEYS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
  const pending = new Set();
  const stepping = new WeakMap(); // select -> whether its last key was a step
  const selectActions = [];

  /** Run ``action(select)`` when ``matches(select)`` changes, as described above. */
  function onSelectCommit(matches, action) {
    selectActions.push([matches, action]);
  }

  function commitSelect(select) {
    pending.delete(select);
    for (const [matches, action] of selectActions) {
      if (matches(select)) {
        action(select);
        return true;
      }
    }
    return false;
  }

  document.addEventListener("keydown", (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement)) return;
    if (event.key === "Enter" && pending.has(select)) {
      event.preventDefault();
      commitSelect(select);
      return;
    }
    const step = STEP_KEYS.has(event.key) || (event.key.length === 1 && event.key !== " ");
    stepping.set(select, step && !event.altKey);
  }, true);
  document.addEventListener("pointerdown", (event) => {
    const select = event.target.closest && event.target.closest("select");
    if (select) stepping.set(select, false);
  }, true);
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement)) return;
    if (!selectActions.some(([matches]) => matches(select))) return;
    if (stepping.get(select)) {
      pending.add(select);
      return;
    }
    commitSelect(select);
  });
  document.addEventListener("focusout", (event) => {
    if (pending.has(event.target)) commitSelect(event.target);
  });

  // Any page: the workspace switcher submits.
  onSelectCommit(
    (select) => Boolean(select.closest("form[data-autosubmit]")),
    (select) => select.closest("form[data-autosubmit]").requestSubmit(),
  );

  // The settings panel: typing a number of days to keep entries chooses "For N days".
  document.addEventListener("input", (event) => {
    const days = event.target.closest && event.target.closest("[data-retention-days]");
    if (days) days.closest("[data-retention]").querySelector('input[value="days"]').checked = true;
  });

  // "Alert on these filters" takes the filters shown when it is followed (the URL keeps up).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-alert-from-filters]");
    if (!link) return;
    const target = new URL(link.href);
    target.searchParams.set("filters", location.pathname + location.search);
    link.href = target.toString();
  });

  const body = document.body;
  if (!body || !body.hasAttribute("data-activity")) return;

  const FRAGMENTS = ["kpis", "charts", "table", "filters"];
  const SEARCH_DELAY = 300;
  const SELECT_ALL = "[data-select-all], [data-select-all-cards]";
  const SHORTCUTS_KEY = "activitylog.shortcuts";
  // The embedded page reads through its embed cookie; its requests say so, so that a
  // session cookie of the same browser is not used instead.
  const embedded = body.dataset.base === "/embed";
  const form = document.getElementById("filters");
  const search = document.getElementById("f-search");
  const detail = document.getElementById("detail");
  const detailBody = detail.querySelector("[data-detail-body]");
  const confirmDelete = document.getElementById("confirm-delete");
  const fetchError = document.querySelector("[data-fetch-error]");
  const announcer = document.querySelector("[data-announce]");
  const shortcutsBox = document.querySelector("[data-shortcuts]");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');

  // The view the server rendered (after an invalid link, the default view it fell back to).
  let currentQuery = body.dataset.query !== undefined ? body.dataset.query : stripped(location.search);
  let controller = null;
  let searchTimer = 0;
  let toastTimer = 0;
  let announceTimer = 0;
  let detailOpener = null;
  const selected = new Set();
  // Every entry matching the filters is selected (not only the rows of this page).
  let matching = false;
  // The control a selection was made with: Tab goes from it to the bulk bar.
  let selectionOrigin = null;

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

  /** The current view's filters only: no paging, sorting, grouping or chosen ids. */
  function filterParams() {
    const params = new URLSearchParams(currentQuery);
    for (const name of ["page", "per_page", "sort", "group", "id"]) params.delete(name);
    return params;
  }

  /** "1 entry", "1,234 entries". */
  function entries(n) {
    return n.toLocaleString("en-US") + (n === 1 ? " entry" : " entries");
  }

  /** Say ``text`` in the polite live region (the last call in a burst wins). */
  function announce(text) {
    clearTimeout(announceTimer);
    announcer.textContent = "";
    announceTimer = setTimeout(() => { announcer.textContent = text; }, 100);
  }

  /** "Showing 1–20 of 345", or the empty state's title. */
  function resultText() {
    const empty = document.querySelector("#table .empty__title");
    if (empty) return empty.textContent.trim() + ". " + (document.querySelector("#table .empty__advice")?.textContent.trim() || "");
    return document.querySelector("[data-showing]")?.textContent.trim() || "";
  }

  function showToast(message) {
    const toast = document.querySelector("[data-toast]");
    announce(message + ". " + resultText());
    if (!toast) return;
    toast.textContent = message;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, 4000);
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

  function resultsHeading() {
    return document.getElementById("events-title");
  }

  const TABBABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  function tabbables() {
    return Array.from(document.querySelectorAll(TABBABLE)).filter(
      (el) => el.getClientRects().length > 0 && !el.closest("dialog:not([open]), [hidden]"),
    );
  }

  // -- fragments -------------------------------------------------------------------------
  /** Fetch the fragments for ``query`` and swap them in; ``mode`` is push, replace or none;
   * ``quiet`` leaves the result unannounced (the page's own first adjustment). */
  async function load(query, mode, quiet) {
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
      if (!quiet) announce(resultText());
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

  /** Swap the fragments in; focus stays on the control used when it is there again (by
   * id), else moves to the results' heading, never to the page body. */
  function swap(data) {
    const active = document.activeElement;
    const replaced = active && active !== body && Boolean(active.closest("[data-fragment]"));
    const activeId = replaced ? active.id : "";
    for (const key of FRAGMENTS) {
      const holder = document.querySelector('[data-fragment="' + key + '"]');
      if (holder && typeof data[key] === "string") holder.innerHTML = data[key];
    }
    clearSelection();
    const lost = replaced && !document.contains(active);
    if (lost || document.activeElement === body) {
      const again = activeId && document.getElementById(activeId);
      if (again && again.getClientRects().length) again.focus();
      else if (lost) resultsHeading()?.focus();
    }
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

  /** A field of the filter form (or one outside it that belongs to it) changed. */
  function filterChanged(field) {
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
  }

  function datesReady(dates) {
    const [since, until] = dates.querySelectorAll("input");
    const whole = [since, until].every((input) => input.value && input.checkValidity());
    return whole && since.value <= until.value;
  }

  onSelectCommit((select) => select.form === form, filterChanged);
  onSelectCommit(
    (select) => select.matches("[data-sort-select]"),
    (select) => load(stripped(new URL(select.value, location.href).search), "push"),
  );

  form.addEventListener("change", (event) => {
    if (!(event.target instanceof HTMLSelectElement)) filterChanged(event.target);
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
        resultsHeading()?.scrollIntoView({ block: "start" });
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
    const ok = await load(currentQuery, "none", true);
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
    load(params.toString(), "replace", true);
  }

  // -- keyboard ----------------------------------------------------------------------------
  // Single-key shortcuts (/, j, k, x) can be turned off (WCAG 2.1.4); the choice is kept.
  function shortcutsOn() {
    return !shortcutsBox || shortcutsBox.checked;
  }

  function applyShortcuts() {
    body.classList.toggle("no-shortcuts", !shortcutsOn());
  }

  if (shortcutsBox) {
    try {
      shortcutsBox.checked = localStorage.getItem(SHORTCUTS_KEY) !== "off";
    } catch (_) { /* storage refused: shortcuts stay on for this page */ }
    applyShortcuts();
    shortcutsBox.addEventListener("change", () => {
      try {
        localStorage.setItem(SHORTCUTS_KEY, shortcutsBox.checked ? "on" : "off");
      } catch (_) { /* not kept, still applied */ }
      applyShortcuts();
    });
  }

  const TEXT_INPUTS = /^(text|search|email|url|tel|password|number|date|datetime-local|month|week|time)$/;

  /** Whether the focused control takes typed characters itself (text, a select's type-ahead). */
  function wantsKeys(target) {
    if (!target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]:not([contenteditable='false'])")) return true;
    return target instanceof HTMLInputElement && TEXT_INPUTS.test(target.type);
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Tab" && bulkTab(event)) return;
    const single = shortcutsOn();
    if (event.key === "/" && single && !wantsKeys(target) && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    const row = target.matches && target.matches("tr[data-row]") ? target : null;
    if (!row) return;
    const rows = Array.from(document.querySelectorAll("tr[data-row]"));
    const index = rows.indexOf(row);
    if (event.key === "ArrowDown" || (single && event.key === "j")) {
      event.preventDefault();
      (rows[index + 1] || row).focus();
    } else if (event.key === "ArrowUp" || (single && event.key === "k")) {
      event.preventDefault();
      (rows[index - 1] || row).focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      openDetail(row.dataset.id, row);
    } else if ((single && event.key === "x") || event.key === " ") {
      event.preventDefault();
      const box = row.querySelector("[data-select]");
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      selectionOrigin = row;
    }
  });

  /** Tab from the control that made a selection reaches the bulk bar next; Tab out of the
   * bar's last button continues after that control, Shift+Tab from its first goes back. */
  function bulkTab(event) {
    const bar = document.querySelector("[data-bulkbar]");
    if (!bar || bar.hidden || !selectionOrigin || !document.contains(selectionOrigin)) return false;
    const buttons = Array.from(bar.querySelectorAll("button:not([disabled])")).filter((b) => !b.hidden);
    if (!buttons.length) return false;
    const active = document.activeElement;
    let target = null;
    if (!event.shiftKey && active === selectionOrigin) {
      target = buttons[0];
    } else if (event.shiftKey && active === buttons[0]) {
      target = selectionOrigin;
    } else if (!event.shiftKey && active === buttons[buttons.length - 1]) {
      const order = tabbables().filter((el) => !bar.contains(el));
      target = order[order.indexOf(selectionOrigin) + 1] || null;
    }
    if (!target) return false;
    event.preventDefault();
    target.focus();
    return true;
  }

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

  function bulkbar() {
    return document.querySelector("[data-bulkbar]");
  }

  /** How many entries match the filters (every page). */
  function matchingTotal() {
    const card = document.querySelector("[data-total]");
    return card ? Number(card.dataset.total) : 0;
  }

  function updateSelection() {
    const boxes = rowBoxes();
    selected.clear();
    for (const box of boxes) {
      if (box.checked) selected.add(box.value);
      box.closest("tr").classList.toggle("is-selected", box.checked);
    }
    const allOnPage = boxes.length > 0 && selected.size === boxes.length;
    if (!allOnPage) matching = false;
    document.querySelectorAll(SELECT_ALL).forEach((all) => {
      all.checked = allOnPage;
      all.indeterminate = selected.size > 0 && !allOnPage;
    });
    if (!selected.size) selectionOrigin = null;
    const bar = bulkbar();
    if (!bar) return;
    bar.hidden = selected.size === 0;
    const total = matchingTotal();
    bar.querySelector("[data-selected-count]").textContent = (matching ? total : selected.size).toLocaleString("en-US");
    bar.querySelector("[data-selected-noun]").textContent = matching
      ? "selected: every entry matching the filters"
      : "selected";
    const offer = bar.querySelector("[data-select-matching]");
    if (offer) {
      offer.hidden = !allOnPage;
      offer.textContent = matching
        ? "Select only this page"
        : "Select all " + total.toLocaleString("en-US") + " matching";
    }
  }

  function clearSelection() {
    matching = false;
    rowBoxes().forEach((box) => { box.checked = false; });
    updateSelection();
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches(SELECT_ALL)) {
      rowBoxes().forEach((box) => { box.checked = event.target.checked; });
      selectionOrigin = event.target;
      updateSelection();
    } else if (event.target.matches("[data-select]")) {
      selectionOrigin = event.target;
      updateSelection();
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulkbar] button");
    if (!button) return;
    if (button.matches("[data-clear-selection]")) {
      clearSelection();
      resultsHeading()?.focus();
    } else if (button.matches("[data-select-matching]")) {
      matching = !matching;
      updateSelection();
    } else if (button.matches("[data-export-selected]")) {
      exportSelected(button.dataset.exportSelected || "csv");
    } else if (button.matches("[data-delete-selected]")) {
      askDelete(button);
    }
  });

  function exportSelected(format) {
    const params = filterParams();
    params.set("format", format);
    if (!matching) selected.forEach((id) => params.append("id", id));
    const sort = new URLSearchParams(currentQuery).get("sort");
    if (sort) params.set("sort", sort);
    download("/api/v1/export?" + params.toString(), (matching ? "activity." : "activity-selected.") + format);
  }

  /** Same-origin download; embedded pages mark their request, and a PDF report may be
   * refused (over its entry limit) with a message to show, so those fetch a blob. */
  async function download(url, filename) {
    if (!embedded && !filename.endsWith(".pdf")) {
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
    if (!link) return;
    const format = new URL(link.href, location.href).searchParams.get("format") || "csv";
    if (!embedded && format !== "pdf") return;
    event.preventDefault();
    download(link.href, "activity." + format);
  });

  // What the open confirmation deletes: chosen ids, or every entry matching the filters.
  let deleting = null;
  let deleteOpener = null;

  function askDelete(button) {
    if (!confirmDelete) return;
    const count = matching ? matchingTotal() : selected.size;
    const params = filterParams();
    // As of when the page counted them: what was recorded since (this visit) is not in it.
    const asOf = document.querySelector("[data-as-of]")?.dataset.asOf || undefined;
    deleting = matching
      ? { filters: Object.fromEntries(Array.from(new Set(params.keys()), (k) => [k, params.getAll(k)])), count, as_of: asOf }
      : { ids: Array.from(selected) };
    deleteOpener = button;
    confirmDelete.querySelector("[data-delete-count]").textContent = entries(count);
    const deleteError = confirmDelete.querySelector("[data-delete-error]");
    deleteError.hidden = true;
    confirmDelete.querySelector("[data-delete-form]").reset();
    confirmDelete.showModal();
    confirmDelete.querySelector("textarea").focus();
  }

  if (confirmDelete) {
    const deleteForm = confirmDelete.querySelector("[data-delete-form]");
    const deleteError = confirmDelete.querySelector("[data-delete-error]");
    confirmDelete.addEventListener("close", () => {
      if (deleteOpener && document.contains(deleteOpener)) deleteOpener.focus();
      else resultsHeading()?.focus();
      deleteOpener = null;
    });
    deleteForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = deleteForm.elements.reason.value.trim();
      if (!reason) {
        deleteError.textContent = "Give a reason: it is recorded with the deletion.";
        deleteError.hidden = false;
        return;
      }
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
          body: JSON.stringify(Object.assign({ reason }, deleting)),
        });
        if (!response.ok) {
          deleteError.textContent = await errorMessage(response);
          deleteError.hidden = false;
          return;
        }
        const result = await response.json();
        deleteOpener = null;
        confirmDelete.close();
        await load(currentQuery, "none", true);
        showToast("Deleted " + entries(Number(result.count)));
      } catch (_) {
        deleteError.textContent = "Could not reach the server. Nothing was deleted.";
        deleteError.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
  }
})();
