// The long-standing list editor (清单式管理), one copy for the pages that edit it: /admin and the
// office's /supervision. OneDoor.longListEditor(container) draws the items of /api/v1/longlist
// (title, owner departments, milestones with due date, progress and note, linked cases) with a
// form to add or edit one, and returns {load}. The public /roadmap shows the list. Text people
// typed is only ever set with textContent.
(function () {
  "use strict";
  var O = window.OneDoor;

  function el(tag, cls, text) { return O.el(tag, cls, text); }
  function button(text, cls, onClick) {
    var b = el("button", cls || "", text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }
  function splitList(v) {
    return String(v || "").split(/[,，\s]+/).map(function (x) { return x.trim(); }).filter(Boolean);
  }
  function input(name, field, label, tag) {
    var l = el("label", "", label);
    var i = el(tag || "input");
    i.name = name;
    i.setAttribute("data-field", field);
    if (tag === "textarea") { i.rows = 2; i.maxLength = 1000; } else { i.maxLength = 120; }
    l.appendChild(i);
    return { label: l, input: i };
  }
  /** The field errors of an API error ({error:{field,message}} or a list of them). */
  function fieldErrors(e) {
    var b = e.body && e.body.error ? e.body.error : {};
    var list = b.errors || b.fields || b.details || [];
    if (!list.length) { list = [{ field: b.field || "", message: e.message }]; }
    return list.map(function (x) { return { field: x.field || x.path || "", message: x.message || x.msg || e.message }; });
  }

  /**
   * Draws the editor into the container (its elements keep the ids #longlist, #item-form and
   * #milestones, one editor per page) and returns {load}, which (re)loads the items.
   */
  O.longListEditor = function (container) {
    var items = [], editing = "", depts = {};
    O.clear(container);
    var head = el("p", "muted", "公示于 ");
    var a = el("a", "", "/roadmap");
    a.href = "/roadmap";
    head.appendChild(a);
    head.appendChild(el("span", "en", " Published on /roadmap."));
    container.appendChild(head);
    var ul = el("ul", "items");
    ul.id = "longlist";
    container.appendChild(ul);

    var f = el("form", "grid-form");
    f.id = "item-form";
    f.noValidate = true;
    var title = el("h3", "", "新增清单事项 Add an item");
    f.appendChild(title);
    // The fields by reference, not by form[name]: the milestones' inputs share the names
    // (title-zh), and form["title-zh"] would then be a list whose value is always "".
    var fields = {};
    function add(x, name) { f.appendChild(x.label); fields[name] = x.input; }
    add(input("title-zh", "title.zh", "标题（中文） Title (Chinese)"), "titleZh");
    add(input("title-en", "title.en", "Title (English)"), "titleEn");
    add(input("summary-zh", "summary.zh", "说明（中文） Summary (Chinese)", "textarea"), "summaryZh");
    add(input("summary-en", "summary.en", "Summary (English)", "textarea"), "summaryEn");
    var leadLabel = el("label", "", "牵头部门 Lead department");
    var lead = el("select");
    lead.name = "lead";
    lead.setAttribute("data-field", "lead");
    leadLabel.appendChild(lead);
    f.appendChild(leadLabel);
    add(input("assist", "assist", "协办部门（逗号分隔） Assisting (comma separated)"), "assist");
    add(input("cases", "cases", "关联诉求编号（逗号分隔） Linked cases (comma separated)"), "cases");
    var fs = el("fieldset", "wide");
    fs.appendChild(el("legend", "", "节点 Milestones"));
    var tbl = el("table", "list"), thr = el("tr"), th = el("thead");
    ["节点（中文） Title", "English", "期限 Due", "进度 % Progress", "备注 Note", ""].forEach(function (h) { thr.appendChild(el("th", "", h)); });
    th.appendChild(thr);
    tbl.appendChild(th);
    var tb = el("tbody");
    tb.id = "milestones";
    tbl.appendChild(tb);
    fs.appendChild(tbl);
    var addM = button("添加节点 Add a milestone", "", function () { milestoneRow({}); });
    addM.id = "add-milestone";
    fs.appendChild(addM);
    f.appendChild(fs);
    var err = el("p", "error field-error");
    err.setAttribute("data-for", "*");
    err.hidden = true;
    f.appendChild(err);
    var row = el("div", "inline");
    var save = el("button", "primary", "保存 Save");
    save.type = "submit";
    row.appendChild(save);
    var cancel = button("取消 Cancel", "", reset);
    cancel.id = "item-cancel";
    cancel.hidden = true;
    row.appendChild(cancel);
    f.appendChild(row);
    container.appendChild(f);
    var status = el("p", "muted");
    status.setAttribute("aria-live", "polite");
    container.appendChild(status);

    function deptName(code) { return depts[code] ? depts[code].zh : code; }
    function markOK() {
      f.querySelectorAll("[aria-invalid]").forEach(function (x) { x.removeAttribute("aria-invalid"); });
      err.hidden = true;
    }
    function markError(e) {
      var errs = fieldErrors(e);
      markOK();
      errs.forEach(function (x) {
        var i = x.field && f.querySelector("[data-field='" + x.field.replace(/\[\d+\].*$/, "").replace(/'/g, "") + "']");
        if (i) { i.setAttribute("aria-invalid", "true"); }
      });
      err.textContent = errs.map(function (x) { return (x.field ? x.field + ": " : "") + x.message; }).join("；");
      err.hidden = false;
    }
    function cell(tr, node) { var td = el("td"); td.appendChild(node); tr.appendChild(td); }
    function milestoneRow(m) {
      var tr = el("tr");
      var labels = { "title-zh": "节点（中文） Milestone (Chinese)", "title-en": "Milestone (English)", due: "期限 Due", progress: "进度 % Progress", note: "备注 Note" };
      // The English note has no column: it is kept as it was.
      tr.setAttribute("data-note-en", (m.note && m.note.en) || "");
      function inp(name, type, v) {
        var i = el("input");
        i.type = type;
        i.name = "m-" + name; // not the item's own names (title-zh)
        i.value = v === undefined || v === null ? "" : v;
        i.setAttribute("aria-label", labels[name]);
        if (type === "number") { i.min = "0"; i.max = "100"; i.className = "num"; }
        cell(tr, i);
      }
      inp("title-zh", "text", m.title && m.title.zh);
      inp("title-en", "text", m.title && m.title.en);
      inp("due", "date", m.due);
      inp("progress", "number", m.progress || 0);
      inp("note", "text", m.note && m.note.zh);
      cell(tr, button("删除 Remove", "small danger", function () { tr.parentNode.removeChild(tr); }));
      tb.appendChild(tr);
    }
    function edit(it) {
      markOK();
      editing = it.id;
      fields.titleZh.value = it.title.zh || "";
      fields.titleEn.value = it.title.en || "";
      fields.summaryZh.value = (it.summary && it.summary.zh) || "";
      fields.summaryEn.value = (it.summary && it.summary.en) || "";
      lead.value = it.lead;
      fields.assist.value = (it.assist || []).join(",");
      fields.cases.value = (it.cases || []).join(",");
      O.clear(tb);
      (it.milestones || []).forEach(milestoneRow);
      title.textContent = "编辑 Edit · " + it.title.zh;
      cancel.hidden = false;
      fields.titleZh.focus();
    }
    function reset() {
      f.reset();
      markOK();
      editing = "";
      O.clear(tb);
      title.textContent = "新增清单事项 Add an item";
      cancel.hidden = true;
    }
    function draw() {
      O.clear(ul);
      items.forEach(function (it) {
        var li = el("li");
        li.setAttribute("data-item", it.id);
        var t = el("div");
        t.appendChild(el("b", "", it.title.zh));
        t.appendChild(el("span", "muted", " · " + deptName(it.lead) + " · " + it.progress + "% · " + O.labelText("listStatus", it.status)));
        li.appendChild(t);
        var acts = el("div");
        acts.appendChild(button("编辑 Edit", "small", function () { edit(it); }));
        acts.lastChild.setAttribute("data-act", "edit");
        acts.appendChild(button("删除 Delete", "small danger", function () {
          if (!confirm("删除清单事项？Delete this item?")) { return; }
          O.api("DELETE", "/api/v1/longlist/" + encodeURIComponent(it.id)).then(function () { status.textContent = "已删除 Deleted"; return load(); })
            .catch(function (e) { status.textContent = e.message; });
        }));
        acts.lastChild.setAttribute("data-act", "delete");
        li.appendChild(acts);
        ul.appendChild(li);
      });
      if (!items.length) { ul.appendChild(el("li", "muted", "暂无事项 No items")); }
    }
    function loadDepartments() {
      return O.api("GET", "/api/v1/catalogue").then(function (r) {
        depts = { office: { zh: "督办室", en: "Office" } };
        (r.body.categories || []).forEach(function (k) { depts[k.department] = k.departmentName; });
        O.clear(lead);
        Object.keys(depts).sort().forEach(function (code) {
          var o = document.createElement("option");
          o.value = code;
          o.textContent = code + " " + depts[code].zh;
          lead.appendChild(o);
        });
      }, function () { /* names fall back to codes */ });
    }
    var deptsLoaded = null;
    function load() {
      deptsLoaded = deptsLoaded || loadDepartments();
      return deptsLoaded.then(function () { return O.api("GET", "/api/v1/longlist"); }).then(function (r) {
        items = r.body.items || [];
        draw();
      });
    }
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var ms = Array.prototype.map.call(tb.rows, function (tr) {
        function v(n) { return tr.querySelector("[name='m-" + n + "']").value.trim(); }
        return { title: { zh: v("title-zh"), en: v("title-en") }, due: v("due"), progress: parseInt(v("progress") || "0", 10), note: { zh: v("note"), en: tr.getAttribute("data-note-en") || "" } };
      });
      var body = {
        title: { zh: fields.titleZh.value.trim(), en: fields.titleEn.value.trim() },
        summary: { zh: fields.summaryZh.value.trim(), en: fields.summaryEn.value.trim() },
        lead: lead.value, assist: splitList(fields.assist.value), milestones: ms, cases: splitList(fields.cases.value)
      };
      var req = editing ? O.api("PUT", "/api/v1/longlist/" + encodeURIComponent(editing), body) : O.api("POST", "/api/v1/longlist", body);
      req.then(function () {
        status.textContent = "已保存 Saved";
        reset();
        return load();
      }).catch(markError);
    });
    return { load: load };
  };
}());
