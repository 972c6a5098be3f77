/* advrec book: sortable and filterable tables (no dependencies).
 * A table with class "advrec-sortable" sorts by a column when its header is clicked (or Enter is
 * pressed on it); cells may carry data-value to sort by instead of their text, and headers
 * data-sort="number" to sort numerically. A ".advrec-controls" block with data-table="<table id>" filters
 * that table's rows: the text box matches each row's data-search (else its text), and each
 * select matches the row attribute data-<data-column>.
 */
(function () {
  "use strict";

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    return cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
  }

  function sortBy(table, header) {
    var index = Array.prototype.indexOf.call(header.parentNode.children, header);
    var numeric = header.getAttribute("data-sort") === "number";
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var order;
      if (numeric) {
        order = (parseFloat(x) || 0) - (parseFloat(y) || 0);
      } else {
        order = x.localeCompare(y, undefined, {numeric: true, sensitivity: "base"});
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(header.parentNode.children, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function applyFilters(controls) {
    var table = document.getElementById(controls.getAttribute("data-table"));
    if (!table) { return; }
    var box = controls.querySelector(".advrec-filter-text");
    var needle = box ? box.value.trim().toLowerCase() : "";
    var selects = controls.querySelectorAll(".advrec-filter-select");
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var haystack = (row.getAttribute("data-search") || row.textContent).toLowerCase();
      var visible = needle === "" || haystack.indexOf(needle) !== -1;
      Array.prototype.forEach.call(selects, function (select) {
        var wanted = select.value;
        if (wanted !== "" && row.getAttribute("data-" + select.getAttribute("data-column")) !== wanted) {
          visible = false;
        }
      });
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    var count = controls.querySelector(".advrec-filter-count");
    if (count) { count.textContent = shown + " of " + table.tBodies[0].rows.length + " works"; }
  }

  function init() {
    document.querySelectorAll("table.advrec-sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (header) {
        header.addEventListener("click", function () { sortBy(table, header); });
        header.addEventListener("keydown", function (event) {
          if (event.key === "Enter") { sortBy(table, header); }
        });
      });
    });
    document.querySelectorAll(".advrec-controls").forEach(function (controls) {
      controls.querySelectorAll("input, select").forEach(function (input) {
        input.addEventListener("input", function () { applyFilters(controls); });
        input.addEventListener("change", function () { applyFilters(controls); });
      });
      applyFilters(controls);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
