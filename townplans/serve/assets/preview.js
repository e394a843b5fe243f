// townplans serve: lays a preview out in page boxes of its page size, as the PDF pages are: the
// print HTML's blocks are moved, in order, into sheets (a new sheet where the print CSS breaks
// the page or turns it to landscape, or when the next block does not fit), each with the running
// title and the page number "— n —" on its outer side. A block taller than a page makes its sheet
// longer: the browser cannot split a paragraph across boxes the way WeasyPrint does.
(function () {
  "use strict";
  var FORCED = ["page", "always", "left", "right", "recto", "verso"];

  function forced(value) {
    return FORCED.indexOf(value) >= 0;
  }

  function isLandscape(element, style) {
    return style.page === "landscape" || element.classList.contains("landscape") ||
      element.classList.contains("drawing-landscape");
  }

  function flow(root) {
    var items = [];
    function walk(node, container) {
      Array.prototype.forEach.call(node.children, function (child) {
        if (child.tagName === "SECTION" && !child.classList.contains("unplaced-notes")) {
          items.push({ element: null, container: child, opens: child });
          walk(child, child);
        } else {
          items.push({ element: child, container: container });
        }
      });
    }
    walk(root, null);
    return items;
  }

  function paginate() {
    var main = document.getElementById("preview");
    if (!main || main.dataset.paged === "no" || !main.dataset.pageWidth) return;
    var width = Number(main.dataset.pageWidth);
    var height = Number(main.dataset.pageHeight);
    var margins = (main.dataset.margins || "20 20 20 20").split(" ").map(Number);
    var titleElement = main.querySelector(".running-title");
    var title = titleElement ? titleElement.textContent : "";
    var gongwen = document.body.classList.contains("gongwen");
    var allLandscape = document.body.classList.contains("landscape");
    var watermark = null;
    var items = flow(main);
    var book = document.createElement("div");
    book.className = "book";
    var hidden = document.createElement("div");
    hidden.className = "print-only";
    var sheet = null;
    var body = null;
    var clones = null;
    var landscape = false;
    var pending = [];
    var breakNext = true;
    var count = 0;
    var placed = 0;

    function open(turned) {
      count += 1;
      landscape = turned;
      var w = turned ? height : width;
      var h = turned ? width : height;
      var m = turned ? [margins[3], margins[0], margins[1], margins[2]] : margins;
      sheet = document.createElement("div");
      sheet.className = "sheet" + (turned ? " sheet-landscape" : "");
      sheet.style.width = w + "mm";
      sheet.style.minHeight = h + "mm";
      sheet.style.padding = m[0] + "mm " + m[1] + "mm " + m[2] + "mm " + m[3] + "mm";
      sheet.dataset.page = String(count);
      body = document.createElement("div");
      body.className = "sheet-body";
      body.style.height = "auto";
      body.dataset.capacity = String(((h - m[0] - m[2]) * 96) / 25.4);
      sheet.appendChild(body);
      book.appendChild(sheet);
      clones = new Map();
      breakNext = false;
      placed = 0;
    }

    function place(item) {
      var target = body;
      if (item.container) {
        if (!clones.has(item.container)) {
          var clone = item.container.cloneNode(false);
          clone.removeAttribute("id");
          body.appendChild(clone);
          clones.set(item.container, clone);
        }
        target = clones.get(item.container);
      }
      target.appendChild(item.element);
      placed += 1;
    }

    main.appendChild(book);
    items.forEach(function (item) {
      if (item.opens) {
        if (forced(getComputedStyle(item.opens).breakBefore)) breakNext = true;
        return;
      }
      var element = item.element;
      if (element === book) return;
      if (element.classList.contains("running-title") || element.classList.contains("landscape-odd") ||
        element.classList.contains("landscape-even")) {
        hidden.appendChild(element);
        return;
      }
      if (element.classList.contains("watermark")) {
        watermark = element;  // the stage's mark, behind every sheet as behind every PDF page
        hidden.appendChild(element);
        return;
      }
      if (element.tagName === "ASIDE" || element.classList.contains("unplaced-notes")) {
        pending.push(item);
        return;
      }
      var style = getComputedStyle(element);
      if (element.classList.contains("pagebreak")) {
        breakNext = true;
        return;
      }
      var turned = allLandscape || isLandscape(element, style);
      if (!sheet || breakNext || forced(style.breakBefore) || turned !== landscape) open(turned);
      var batch = pending.concat([item]);
      pending = [];
      batch.forEach(place);
      var capacity = Number(body.dataset.capacity);
      if (body.scrollHeight > capacity + 1 && placed > batch.length) {
        open(turned);
        batch.forEach(place);
      }
      if (forced(style.breakAfter)) breakNext = true;
    });
    if (pending.length) {
      if (!sheet) open(allLandscape);
      pending.forEach(place);
    }
    Array.prototype.forEach.call(book.children, function (page, index) {
      var number = index + 1;
      if (watermark) page.insertBefore(watermark.cloneNode(true), page.firstChild);
      if (number === 1 && !gongwen) return;
      if (title && number > 1) {
        var head = document.createElement("div");
        head.className = "sheet-head";
        head.textContent = title;
        if (!gongwen) page.insertBefore(head, page.firstChild);
      }
      var foot = document.createElement("div");
      foot.className = "sheet-foot " + (number % 2 ? "odd" : "even");
      foot.textContent = "— " + number + " —";
      page.appendChild(foot);
    });
    main.textContent = "";
    main.appendChild(hidden);
    main.appendChild(book);
    if (window.location.hash) {
      var target = document.getElementById(window.location.hash.slice(1));
      if (target && !main.dataset.scrolled) {
        main.dataset.scrolled = "1";
        target.scrollIntoView({ block: "center", inline: "nearest" });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", paginate);
  document.addEventListener("tp:updated", paginate);
})();
