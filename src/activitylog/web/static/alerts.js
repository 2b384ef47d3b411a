/* activitylog — the Alerts page's script: times in the viewer's zone (activity.js, on every
 * page, submits the workspace pickers). Without it the page shows times in UTC. */
(() => {
  "use strict";

  // A link without ``tz`` (typed, bookmarked) is shown again in the browser's zone.
  const params = new URLSearchParams(location.search);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!params.has("tz") && zone && zone !== "UTC") {
    params.set("tz", zone);
    location.replace(`${location.pathname}?${params}${location.hash}`);
  }
})();
