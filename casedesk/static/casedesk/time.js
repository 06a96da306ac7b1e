// The product's one date format, in the viewer's time zone: exact "1 Dec 2026, 21:55",
// relative "5 min ago", and day labels "Today" / "Yesterday" / "Tuesday, 1 Dec 2026".
// Every page script formats dates through window.casedeskTime.
(function () {
  "use strict";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function toDate(value) { return value instanceof Date ? value : new Date(value); }
  function dateOnly(d) { return d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear(); }
  function exact(value) {
    var d = toDate(value);
    if (isNaN(d.getTime())) return "";
    return dateOnly(d) + ", " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  // YYYY-MM-DD of the local day, for comparing days and for <time datetime>.
  function dayKey(value) {
    var d = toDate(value);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function dayLabel(value, now) {
    var d = toDate(value), today = now ? toDate(now) : new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(d) === dayKey(today)) return "Today";
    if (dayKey(d) === dayKey(yesterday)) return "Yesterday";
    return DAYS[d.getDay()] + ", " + dateOnly(d);
  }
  function relative(value, now) {
    var d = toDate(value), ref = now ? toDate(now) : new Date();
    var seconds = Math.round((ref.getTime() - d.getTime()) / 1000);
    if (isNaN(seconds)) return "";
    if (seconds < 45) return "just now";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    var hours = Math.floor(minutes / 60);
    if (hours < 24 && dayKey(d) === dayKey(ref)) return hours + (hours === 1 ? " hour ago" : " hours ago");
    if (dayLabel(d, ref) === "Yesterday") return "yesterday, " + pad(d.getHours()) + ":" + pad(d.getMinutes());
    return exact(d);
  }
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  window.casedeskTime = { exact: exact, relative: relative, dayKey: dayKey, dayLabel: dayLabel, zone: zone };
})();
