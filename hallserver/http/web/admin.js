// Administration page (/admin): the campus (halls, services, counters, departments, calendar)
// edited as a form over GET/PUT /api/v1/admin/campus with its version, staff and devices over the
// admin API (device health refreshed every 3 s), hall notices, the long-standing list and the
// audit trail. The server's field errors are shown beside the inputs they name. Text from people
// is only ever set with textContent.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$, el = O.el;
  var me = null, tab = "", campus = null, version = "", staff = [], devices = [];
  var AUDIT_PAGE = 50; // audit entries asked for at a time ("more" asks for the next)
  var editingStaff = "", auditNext = "", deviceTimer = null, ready = false;

  // ---- small helpers ----

  var flashTimer = null;
  /** Shows a message at the top of the page (bad: as an error) for a few seconds. */
  function flash(msg, bad) {
    var f = $("flash");
    O.setText(f, msg);
    f.className = bad ? "flash bad" : "flash";
    O.show(f, true);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { O.show(f, false); }, bad ? 12000 : 5000);
  }

  /** The field errors of a failed API call: [{field, message}] (at least the error itself). */
  function fieldErrors(e) {
    var b = e.body && e.body.error ? e.body.error : {};
    var list = b.errors || b.fields || b.details || [];
    if (!list.length) { list = [{ field: b.field || "", message: e.message }]; }
    return list.map(function (x) { return { field: x.field || x.path || "", message: x.message || x.msg || e.message }; });
  }

  /** Splits "a, b ,c" into ["a","b","c"]. */
  function splitList(v) {
    return String(v || "").split(/[,，\s]+/).map(function (x) { return x.trim(); }).filter(Boolean);
  }

  /** Reads the value at a path like "halls[0].services[1].name.zh". */
  function getPath(obj, path) {
    var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    for (var i = 0; i < parts.length; i++) {
      if (obj === null || obj === undefined) { return undefined; }
      obj = obj[parts[i]];
    }
    return obj;
  }

  /** Sets (or, for undefined, deletes) the value at a path, making objects on the way. */
  function setPath(obj, path, v) {
    var parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    for (var i = 0; i < parts.length - 1; i++) {
      if (obj[parts[i]] === undefined || obj[parts[i]] === null) { obj[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {}; }
      obj = obj[parts[i]];
    }
    var last = parts[parts.length - 1];
    if (v === undefined) { delete obj[last]; } else { obj[last] = v; }
  }

  /** Marks the inputs under root named by field errors; returns the errors no input showed. */
  function markErrors(root, errs, attr) {
    root.querySelectorAll("[aria-invalid]").forEach(function (x) { x.removeAttribute("aria-invalid"); x.removeAttribute("title"); });
    var inputs = Array.prototype.slice.call(root.querySelectorAll("[" + attr + "]"));
    var rest = [];
    errs.forEach(function (er) {
      // The input whose path is the longest prefix of the field (hours[0].times[1] → hours).
      var best = null, bestLen = -1;
      inputs.forEach(function (i) {
        var p = i.getAttribute(attr);
        if (er.field === p || (er.field.indexOf(p) === 0 && /[.[]/.test(er.field.charAt(p.length)))) {
          if (p.length > bestLen) { best = i; bestLen = p.length; }
        }
      });
      var marked = best ? [best] : inputs.filter(function (i) {
        // An error naming an object marks its few inputs (…name → name.zh, name.en).
        var p = i.getAttribute(attr);
        return er.field && p.indexOf(er.field) === 0 && p.charAt(er.field.length) === "." && p.slice(er.field.length + 1).indexOf(".") < 0;
      });
      marked.forEach(function (i) {
        i.setAttribute("aria-invalid", "true");
        i.title = er.message;
      });
      rest.push(er);
    });
    return rest;
  }

  /** Shows field errors in a list element (each with its field path). */
  function listErrors(ul, errs) {
    O.clear(ul);
    errs.forEach(function (er) {
      var li = el("li");
      if (er.field) { li.appendChild(el("code", "", er.field)); li.appendChild(document.createTextNode(" ")); }
      li.appendChild(document.createTextNode(er.message));
      ul.appendChild(li);
    });
    O.show(ul, errs.length > 0);
  }

  /** Shows an API error on a simple form: the named input marked, the message under the form. */
  function formError(form, e) {
    var errs = fieldErrors(e), rest = [];
    formOK(form);
    markErrors(form, errs, "data-field");
    // Each error under the input it names; the others under the form.
    errs.forEach(function (x) {
      var i = x.field && form.querySelector("[data-field='" + x.field + "']");
      if (i && i.parentNode.tagName === "LABEL") {
        i.parentNode.appendChild(el("span", "error field-msg", x.message));
      } else {
        rest.push(x);
      }
    });
    var p = form.querySelector(".field-error");
    O.setText(p, rest.map(function (x) { return (x.field ? x.field + ": " : "") + x.message; }).join("；"));
    O.show(p, rest.length > 0);
  }
  function formOK(form) {
    markErrors(form, [], "data-field");
    form.querySelectorAll(".field-msg").forEach(function (m) { m.parentNode.removeChild(m); });
    O.show(form.querySelector(".field-error"), false);
  }

  /** A button; act, when given, is its data-act (what it does, for the tests). */
  function button(text, cls, onClick, act) {
    var b = el("button", cls || "", text);
    b.type = "button";
    if (act) { b.setAttribute("data-act", act); }
    b.addEventListener("click", onClick);
    return b;
  }

  /** A button adding a row of kind (data-add names it for the tests). */
  function adder(kind, text, onClick) {
    var b = button(text, "", onClick);
    b.setAttribute("data-add", kind);
    return b;
  }

  function hallCodes() { return campus ? (campus.halls || []).map(function (h) { return h.code; }) : []; }
  function deptName(code) {
    var d = campus && (campus.departments || []).filter(function (x) { return x.code === code; })[0];
    return d ? d.name.zh : code;
  }

  // ---- the campus editor ----

  /**
   * An input bound to the campus at path. kind: "text", "int" (empty: the key is left out when
   * optional), "list" (comma separated), "date", "hours" (lines "mon-fri 08:30-11:30,14:00-17:00"),
   * "materials" (lines "中文 | English").
   */
  function bound(path, kind, opts) {
    opts = opts || {};
    var v = getPath(campus, path), input;
    if (kind === "hours" || kind === "materials") {
      input = el("textarea");
      input.rows = Math.max(2, (v || []).length + 1);
      input.value = kind === "hours" ? (v || []).map(function (h) { return h.days + " " + (h.times || []).join(","); }).join("\n")
        : (v || []).map(function (m) { return m.en ? m.zh + " | " + m.en : m.zh; }).join("\n");
    } else if (opts.options) {
      input = el("select");
      opts.options.forEach(function (o) {
        var op = el("option", "", o.label);
        op.value = o.value;
        input.appendChild(op);
      });
      input.value = v === undefined ? "" : v;
    } else {
      input = el("input");
      input.type = kind === "int" ? "number" : kind === "date" ? "date" : "text";
      if (kind === "int") { input.className = "num"; input.min = "0"; }
      input.value = v === undefined || v === null ? "" : kind === "list" ? (v || []).join(",") : kind === "quiet" ? v.from + "-" + v.to : v;
    }
    input.setAttribute("data-path", path);
    if (opts.label) { input.setAttribute("aria-label", opts.label); }
    if (opts.placeholder) { input.placeholder = opts.placeholder; }
    input.addEventListener("change", function () {
      var s = input.value.trim(), out;
      switch (kind) {
      case "int": out = s === "" ? (opts.optional ? undefined : 0) : parseInt(s, 10); break;
      case "list": out = splitList(s); break;
      case "quiet": // "22:00-07:30" → {from, to}; the server checks the times
        out = s === "" ? undefined : { from: (s.split("-")[0] || "").trim(), to: (s.split("-")[1] || "").trim() };
        break;
      case "hours":
        out = s === "" ? undefined : s.split("\n").map(function (line) {
          var m = line.trim().split(/\s+/);
          return { days: m[0] || "", times: splitList(m.slice(1).join(",")) };
        }).filter(function (h) { return h.days; });
        break;
      case "materials":
        out = s.split("\n").map(function (line) {
          var kv = line.split("|");
          return { zh: (kv[0] || "").trim(), en: (kv[1] || "").trim() };
        }).filter(function (m) { return m.zh || m.en; });
        break;
      default: out = s === "" && opts.optional ? undefined : s;
      }
      setPath(campus, path, out);
      if (/^departments\[/.test(path)) { refreshDeptChoices(); }
    });
    return input;
  }

  /**
   * Fills parent with a label written "中文 English": the Chinese, then the English as the
   * pages show it (a span.en).
   */
  function biLabel(parent, label) {
    var m = /^(.*[\u3000-\u9fff\uff00-\uffef])\s+([^\u3000-\u9fff\uff00-\uffef]+)$/.exec(label);
    return O.bi(parent, m ? { zh: m[1], en: m[2] } : { zh: label, en: "" });
  }

  /** A labelled bound input. */
  function field(label, path, kind, opts) {
    var l = el("label");
    l.appendChild(biLabel(el("span"), label));
    l.appendChild(bound(path, kind, opts));
    return l;
  }

  /** A table with a header row; rows(tbody) fills it. */
  function table(heads, fill) {
    var t = el("table", "list"), thead = el("thead"), tr = el("tr");
    heads.forEach(function (h) { tr.appendChild(biLabel(el("th"), h)); });
    thead.appendChild(tr);
    t.appendChild(thead);
    var tb = el("tbody");
    fill(tb);
    t.appendChild(tb);
    return t;
  }
  function cell(tr, node) { var td = el("td"); td.appendChild(node); tr.appendChild(td); return td; }

  function deptOptions(optional) {
    var opts = optional ? [{ value: "", label: "—" }] : [];
    (campus.departments || []).forEach(function (d) { opts.push({ value: d.code, label: d.code + " " + d.name.zh }); });
    return opts;
  }

  /** Offers the departments as they are now in every service's department choice. */
  function refreshDeptChoices() {
    document.querySelectorAll('#campus-form select[data-path$=".department"]').forEach(function (sel) {
      var cur = getPath(campus, sel.getAttribute("data-path"));
      O.clear(sel);
      deptOptions(true).forEach(function (o) {
        var op = el("option", "", o.label);
        op.value = o.value;
        sel.appendChild(op);
      });
      sel.value = cur === undefined ? "" : cur;
    });
  }

  function renderCampus() {
    var root = $("campus-form");
    O.clear(root);
    if (!campus) { return; }
    O.setText("campus-version", "版本 version " + version);
    var head = el("div", "campus-head");
    head.appendChild(field("校园名称（中文） Campus name", "name.zh", "text"));
    head.appendChild(field("Campus name (English)", "name.en", "text"));
    head.appendChild(field("时区 Time zone", "timeZone", "text", { placeholder: "Asia/Shanghai" }));
    root.appendChild(head);

    (campus.halls || []).forEach(function (h, hi) {
      var p = "halls[" + hi + "]";
      var fs = el("fieldset", "hall");
      fs.setAttribute("data-hall", h.code || "");
      fs.appendChild(el("legend", "", (h.name && h.name.zh ? h.name.zh : "新大厅") + " · " + (h.code || "?")));
      var hh = el("div", "hall-head");
      hh.appendChild(field("代码 Code", p + ".code", "text"));
      hh.appendChild(field("名称（中文） Name", p + ".name.zh", "text"));
      hh.appendChild(field("Name (English)", p + ".name.en", "text"));
      hh.appendChild(button("删除大厅 Remove hall", "danger small", function () {
        if (confirm("删除大厅 " + (h.code || "") + "？Remove this hall?")) { campus.halls.splice(hi, 1); renderCampus(); }
      }));
      fs.appendChild(hh);
      var hours = field("开放时间（每行：星期 时段） Opening hours (a line each: days times)", p + ".hours", "hours", { optional: true });
      hours.appendChild(el("span", "hint", "例 e.g. mon-fri 08:30-11:30,14:00-17:00"));
      fs.appendChild(hours);

      fs.appendChild(el("h3", "", "业务 Services"));
      var st = table(["前缀 Code", "名称 Name", "English", "责任部门 Department", "平均分钟 Avg min", "每日限额 Daily quota", "限时开放自 Open from", "至 Until", ""], function (tb) {
        (h.services || []).forEach(function (s, si) {
          var sp = p + ".services[" + si + "]", tr = el("tr");
          tr.setAttribute("data-service", s.code || "");
          cell(tr, bound(sp + ".code", "text", { label: "前缀 Code" }));
          cell(tr, bound(sp + ".name.zh", "text", { label: "名称 Name" }));
          cell(tr, bound(sp + ".name.en", "text", { label: "English name" }));
          cell(tr, bound(sp + ".department", "text", { options: deptOptions(true), optional: true, label: "部门 Department" }));
          cell(tr, bound(sp + ".avgMinutes", "int", { label: "平均分钟 Avg minutes" }));
          cell(tr, bound(sp + ".quota", "int", { optional: true, label: "每日限额 Daily quota" }));
          cell(tr, bound(sp + ".from", "date", { optional: true, label: "开放自 From" }));
          cell(tr, bound(sp + ".until", "date", { optional: true, label: "开放至 Until" }));
          cell(tr, button("删除 Remove", "danger small", function () { h.services.splice(si, 1); renderCampus(); }));
          tb.appendChild(tr);
          // The second row: the service's own hours (empty: the hall's) and its materials.
          var tr2 = el("tr", "sub");
          tr2.appendChild(el("td"));
          cell(tr2, field("开放时间（每行：星期 时段，空为大厅时间） Hours (a line each; empty: the hall's)", sp + ".hours", "hours", { optional: true })).colSpan = 3;
          cell(tr2, field("一次告知材料（每行：中文 | English） Materials to bring (a line each)", sp + ".materials", "materials")).colSpan = 4;
          tr2.appendChild(el("td"));
          tb.appendChild(tr2);
        });
      });
      st.classList.add("services");
      fs.appendChild(st);
      fs.appendChild(adder("service", "添加业务 Add a service", function () {
        h.services = h.services || [];
        h.services.push({ code: "", name: { zh: "", en: "" }, materials: [], avgMinutes: 5 });
        renderCampus();
      }));

      fs.appendChild(el("h3", "", "窗口 Counters"));
      fs.appendChild(table(["窗口号 Number", "办理业务（按优先顺序，逗号分隔） Services in order of preference",
        "休息时段（如 11:45-12:45，逗号分隔；用于等候时间预估） Breaks, e.g. 11:45-12:45 (for the wait estimates)", ""], function (tb) {
        (h.counters || []).forEach(function (c, ci) {
          var cp = p + ".counters[" + ci + "]", tr = el("tr");
          cell(tr, bound(cp + ".number", "int", { label: "窗口号 Number" }));
          cell(tr, bound(cp + ".services", "list", { label: "业务 Services" }));
          cell(tr, bound(cp + ".breaks", "list", { label: "休息时段 Breaks", placeholder: "例 e.g. 11:45-12:45" }));
          cell(tr, button("删除 Remove", "danger small", function () { h.counters.splice(ci, 1); renderCampus(); }));
          tb.appendChild(tr);
        });
      }));
      fs.appendChild(adder("counter", "添加窗口 Add a counter", function () {
        h.counters = h.counters || [];
        var n = h.counters.reduce(function (m, c) { return Math.max(m, c.number || 0); }, 0) + 1;
        h.counters.push({ number: n, services: [] });
        renderCampus();
      }));
      root.appendChild(fs);
    });
    root.appendChild(adder("hall", "添加大厅 Add a hall", function () {
      campus.halls = campus.halls || [];
      campus.halls.push({ code: "", name: { zh: "", en: "" }, services: [], counters: [] });
      renderCampus();
    }));

    var dfs = el("fieldset");
    dfs.appendChild(el("legend", "", "部门 Departments"));
    dfs.appendChild(table(["代码 Code", "名称 Name", "English", "企业微信群机器人 Robot key", "免打扰 Quiet hours", ""], function (tb) {
      (campus.departments || []).forEach(function (d, di) {
        var dp = "departments[" + di + "]", tr = el("tr");
        cell(tr, bound(dp + ".code", "text", { label: "代码 Code" }));
        cell(tr, bound(dp + ".name.zh", "text", { label: "名称 Name" }));
        cell(tr, bound(dp + ".name.en", "text", { label: "English name" }));
        cell(tr, bound(dp + ".wecomRobot", "text", { label: "企业微信群机器人 Robot key", optional: true }));
        cell(tr, bound(dp + ".quietHours", "quiet", { label: "免打扰 Quiet hours", placeholder: "22:00-07:30" }));
        cell(tr, button("删除 Remove", "danger small", function () { campus.departments.splice(di, 1); renderCampus(); }));
        tb.appendChild(tr);
      });
    }));
    dfs.appendChild(adder("department", "添加部门 Add a department", function () {
      campus.departments = campus.departments || [];
      campus.departments.push({ code: "", name: { zh: "", en: "" } });
      renderCampus();
    }));
    root.appendChild(dfs);
    renderCalendar();
  }

  function renderCalendar() {
    ["holidays", "workdays"].forEach(function (k) {
      var ul = $(k);
      O.clear(ul);
      var list = campus && campus.calendar ? campus.calendar[k] || [] : [];
      list.slice().sort().forEach(function (d) {
        var li = el("li");
        li.setAttribute("data-date", d);
        li.setAttribute("data-path", "calendar." + k + "[" + list.indexOf(d) + "]");
        li.appendChild(el("span", "", d));
        li.appendChild(button("删除 Remove", "danger small", function () {
          campus.calendar[k].splice(campus.calendar[k].indexOf(d), 1);
          renderCalendar();
        }));
        ul.appendChild(li);
      });
      if (!list.length) { ul.appendChild(el("li", "muted", "无 None")); }
    });
  }

  // ---- low visit ratings (1–2 stars) of every hall: the staff view of each hall's stream ----

  var lowStreams = {}, low = {}; // by hall code: the stream, today's low ratings (oldest first)

  function followLowRatings() {
    hallCodes().forEach(function (code) {
      if (lowStreams[code]) { return; }
      low[code] = [];
      lowStreams[code] = O.stream(code, function (msg) {
        if (msg.type === "snapshot") {
          low[code] = (msg.snapshot && msg.snapshot.lowRatings) || [];
        } else if (msg.type === "visit.rated" && msg.rated && msg.rated.low) {
          low[code] = low[code].concat([msg.rated]).slice(-20);
        } else if (msg.type !== "hall.day_reset") {
          return;
        } else {
          low[code] = [];
        }
        renderLow();
      });
    });
  }

  function renderLow() {
    var all = [];
    Object.keys(low).forEach(function (code) { low[code].forEach(function (rv) { all.push({ hall: code, rv: rv }); }); });
    all.sort(function (a, b) { return a.rv.at < b.rv.at ? 1 : a.rv.at > b.rv.at ? -1 : 0; });
    var list = $("low-list");
    O.clear(list);
    all.forEach(function (x) {
      var t = O.ratedText(x.rv), li = el("li", "low");
      li.setAttribute("data-ticket", x.rv.number);
      li.setAttribute("data-hall", x.hall);
      li.appendChild(el("b", "", t.at + " " + x.hall + " · " + t.zh + " "));
      li.appendChild(el("span", "en", t.en));
      if (t.comment) { li.appendChild(el("q", "", t.comment)); }
      list.appendChild(li);
    });
    O.show("low-ratings", all.length > 0);
  }

  function loadCampus() {
    return O.api("GET", "/api/v1/admin/campus").then(function (r) {
      campus = r.body.campus;
      version = r.body.version;
      followLowRatings();
      listErrors($("campus-errors"), []);
      listErrors($("calendar-errors"), []);
      renderCampus();
      fillHallSelects();
    });
  }

  /** PUT the campus with its version; on field errors mark the inputs and list every error. */
  function saveCampus(errList, btn) {
    btn.disabled = true;
    // Inputs apply their value on "change": make sure the focused one has.
    if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
    return O.api("PUT", "/api/v1/admin/campus", { campus: campus }, { "If-Match": "\"" + version + "\"" }).then(function (r) {
      version = r.body.version;
      if (r.body.campus) { campus = r.body.campus; }
      listErrors(errList, []);
      markErrors($("campus-form"), [], "data-path");
      renderCampus();
      fillHallSelects();
      flash("已保存并生效 Saved and applied · 版本 version " + version);
    }).catch(function (e) {
      if (e.status === 409 || e.status === 412) {
        flash("配置已被他人修改：请重新载入后再改 The campus was changed by someone else: reload, then edit again", true);
        return;
      }
      var errs = fieldErrors(e);
      markErrors($("campus-form"), errs, "data-path");
      markErrors($("tab-calendar"), errs, "data-path");
      listErrors(errList, errs);
      flash("未保存：" + errs.length + " 处错误 Not saved: " + errs.length + " error(s)", true);
    }).then(function () { btn.disabled = false; });
  }

  function addDate(kind, form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = form.querySelector("input").value;
      if (!v || !campus) { return; }
      campus.calendar = campus.calendar || { holidays: [], workdays: [] };
      campus.calendar[kind] = campus.calendar[kind] || [];
      if (campus.calendar[kind].indexOf(v) < 0) { campus.calendar[kind].push(v); }
      form.reset();
      renderCalendar();
    });
  }

  function fillHallSelects() {
    ["device-hall", "notice-hall"].forEach(function (id) {
      var s = $(id), cur = s.value;
      O.clear(s);
      hallCodes().forEach(function (c) {
        var h = campus.halls.filter(function (x) { return x.code === c; })[0];
        var o = el("option", "", c + " " + (h.name ? h.name.zh : ""));
        o.value = c;
        s.appendChild(o);
      });
      if (cur && hallCodes().indexOf(cur) >= 0) { s.value = cur; }
    });
    document.querySelectorAll("select.dept-select").forEach(function (s) {
      var cur = s.value;
      O.clear(s);
      (campus.departments || []).forEach(function (d) {
        var o = el("option", "", d.code + " " + d.name.zh);
        o.value = d.code;
        s.appendChild(o);
      });
      if (cur) { s.value = cur; }
    });
  }

  // ---- staff ----

  function loadStaff() {
    return O.api("GET", "/api/v1/admin/staff").then(function (r) {
      staff = r.body.staff || [];
      renderStaff();
    });
  }

  function staffDepts(s) { return s.departments || (s.department ? [s.department] : []); }

  function renderStaff() {
    var tb = $("staff-table").tBodies[0];
    O.clear(tb);
    staff.forEach(function (s) {
      var tr = el("tr", s.disabled ? "disabled" : "");
      tr.setAttribute("data-user", s.username);
      tr.appendChild(el("td", "", s.username));
      tr.appendChild(el("td", "", s.name || ""));
      tr.appendChild(el("td", "", O.labelText("role", s.role)));
      var halls = el("td", "", (s.halls || []).join(", ") || (s.role === "counter" ? "全部 all" : ""));
      (s.assignments || []).forEach(function (a) {
        halls.appendChild(el("div", "muted assignment", "临时 Seasonal: " + a.hall + " " + (a.counters || []).join(",") + " · " + a.from + "–" + a.until));
      });
      tr.appendChild(halls);
      tr.appendChild(el("td", "", staffDepts(s).map(deptName).join(", ")));
      tr.appendChild(el("td", s.disabled ? "state-bad" : "state-ok", s.disabled ? "已停用 Disabled" : "正常 Active"));
      var td = el("td", "actions");
      td.appendChild(button("编辑 Edit", "small", function () { editStaff(s, false); }, "edit"));
      td.appendChild(button("重置密码 Reset password", "small", function () { editStaff(s, true); }, "password"));
      td.appendChild(button(s.disabled ? "启用 Enable" : "停用 Disable", s.disabled ? "small" : "small danger", function () {
        if (!s.disabled && !confirm("停用 " + s.username + "？其登录会立即失效。Disable this account? Its sessions end at once.")) { return; }
        O.api("PATCH", "/api/v1/admin/staff/" + encodeURIComponent(s.username), { disabled: !s.disabled }).then(function () {
          flash((s.disabled ? "已启用 Enabled " : "已停用 Disabled ") + s.username);
          return loadStaff();
        }).catch(function (e) { flash(e.message, true); });
      }, s.disabled ? "enable" : "disable"));
      tr.appendChild(td);
      tb.appendChild(tr);
    });
  }

  /** A staff member's seasonal counter assignments as the form's lines: "hall 3,4 from until". */
  function assignmentLines(list) {
    return (list || []).map(function (a) { return [a.hall, (a.counters || []).join(","), a.from, a.until].join(" "); }).join("\n");
  }

  /** Reads the form's assignment lines; throws an Error naming the line it cannot read. */
  function parseAssignments(text) {
    return String(text || "").split("\n").map(function (l) { return l.trim(); }).filter(Boolean).map(function (l, i) {
      var p = l.split(/\s+/);
      var counters = (p[1] || "").split(/[,，]/).filter(Boolean).map(function (n) { return parseInt(n, 10); });
      if (p.length !== 4 || !counters.length || counters.some(isNaN)) {
        var e = new Error("第 " + (i + 1) + " 行应为“大厅 窗口 起 止” Line " + (i + 1) + ": want hall counters from until");
        e.body = { error: { field: "assignments[" + i + "]", message: e.message } };
        throw e;
      }
      return { hall: p[0], counters: counters, from: p[2], until: p[3] };
    });
  }

  function editStaff(s, password) {
    var f = $("staff-form");
    formOK(f);
    editingStaff = s.username;
    f.username.value = s.username;
    f.username.readOnly = true;
    f.name.value = s.name || "";
    f.role.value = s.role;
    f.halls.value = (s.halls || []).join(",");
    f.departments.value = staffDepts(s).join(",");
    f.assignments.value = assignmentLines(s.assignments);
    f.casUser.value = s.casUser || "";
    f.wecomUser.value = s.wecomUser || "";
    f.email.value = s.email || "";
    f.password.value = "";
    O.setText("staff-form-title", (password ? "重置密码 Reset the password of " : "编辑 Edit ") + s.username);
    O.show("staff-cancel", true);
    (password ? f.password : f.role).focus();
  }

  function resetStaffForm() {
    var f = $("staff-form");
    f.reset();
    formOK(f);
    editingStaff = "";
    f.username.readOnly = false;
    O.setText("staff-form-title", "新增工作人员 Add a staff member");
    O.show("staff-cancel", false);
  }

  function submitStaff(ev) {
    ev.preventDefault();
    var f = $("staff-form");
    var body = { role: f.role.value, halls: splitList(f.halls.value), departments: splitList(f.departments.value) };
    try {
      body.assignments = parseAssignments(f.assignments.value);
    } catch (e) {
      formError(f, e);
      return;
    }
    if (f.name.value.trim()) { body.name = f.name.value.trim(); }
    // An edit sends both (empty clears them); a new account only what was typed.
    ["wecomUser", "email"].forEach(function (k) {
      var v = f[k].value.trim();
      if (v || editingStaff) { body[k] = v; }
    });
    if (f.password.value) { body.password = f.password.value; }
    if (editingStaff || f.casUser.value.trim()) { body.casUser = f.casUser.value.trim(); } // "" clears it
    var req;
    if (editingStaff) {
      req = O.api("PATCH", "/api/v1/admin/staff/" + encodeURIComponent(editingStaff), body);
    } else {
      body.username = f.username.value.trim();
      req = O.api("POST", "/api/v1/admin/staff", body);
    }
    req.then(function () {
      flash("已保存 Saved " + (editingStaff || body.username));
      resetStaffForm();
      return loadStaff();
    }).catch(function (e) { formError(f, e); });
  }

  // ---- devices ----

  function loadDevices() {
    return O.api("GET", "/api/v1/admin/devices").then(function (r) {
      devices = r.body.devices || [];
      renderDevices();
    });
  }

  function deviceAlerts(d) { return (d.health && d.health.alerts) || []; }

  function renderDevices() {
    var tb = $("device-table").tBodies[0];
    O.clear(tb);
    var alerting = 0;
    devices.forEach(function (d) {
      var h = d.health || {}, alerts = deviceAlerts(d);
      if (alerts.length) { alerting++; }
      var tr = el("tr", d.revoked ? "disabled" : alerts.length ? "alerting" : "");
      tr.setAttribute("data-device", d.id);
      tr.appendChild(d.name ? el("td", "", d.name) : el("td", "muted", d.id));
      tr.appendChild(el("td", "", O.labelText("role", d.role)));
      tr.appendChild(el("td", "", d.hall + (d.counter ? " · " + d.counter + " 号窗口 Counter " + d.counter : "")));
      tr.appendChild(el("td", "", d.revoked ? "已吊销 Revoked " + O.time(d.revokedAt) : h.lastSeen ? O.time(h.lastSeen).slice(0, 5) + " " + O.time(h.lastSeen, "hh:mm:ss") : "尚无心跳 No heartbeat yet"));
      tr.appendChild(el("td", "", h.version || ""));
      var printer = h.printer || "";
      tr.appendChild(el("td", printer && printer !== "ok" ? "state-bad" : "state-ok",
        !printer ? "—" : printer === "ok" ? "正常 OK" : O.labelText("deviceAlert", "printer." + printer)));
      var ob = h.outbox;
      tr.appendChild(el("td", ob && ob.pending ? "state-bad" : "", ob ? ob.pending + (ob.pending ? " · " + O.minutes(ob.oldestSeconds) + " 分钟 min" : "") : "—"));
      var at = el("td", alerts.length ? "state-bad" : "");
      at.textContent = alerts.map(function (a) { var t = O.alertText(a); return t.zh + " " + t.en; }).join("；");
      tr.appendChild(at);
      var td = el("td", "actions");
      if (!d.revoked) td.appendChild(button("吊销 Revoke", "small danger", function () {
        if (!confirm("吊销设备 " + d.name + "？它将立即无法连接。Revoke this device? It is cut off at once.")) { return; }
        O.api("DELETE", "/api/v1/admin/devices/" + encodeURIComponent(d.id)).then(function () {
          flash("已吊销 Revoked " + d.name);
          return loadDevices();
        }).catch(function (e) { flash(e.message, true); });
      }, "revoke"));
      tr.appendChild(td);
      tb.appendChild(tr);
    });
    O.setText("alert-count", alerting || "");
    O.show("alert-count", alerting > 0);
  }

  function submitDevice(ev) {
    ev.preventDefault();
    var f = $("device-form");
    var body = { role: f.role.value, hall: f.hall.value, name: f.name.value.trim() };
    if (f.counter.value) { body.counter = parseInt(f.counter.value, 10) || 0; }
    O.api("POST", "/api/v1/admin/devices", body).then(function (r) {
      formOK(f);
      f.name.value = "";
      O.setText("device-token-value", r.body.token);
      O.show("device-token", true);
      return loadDevices();
    }).catch(function (e) { formError(f, e); });
  }

  // ---- notices ----

  function loadNotices() {
    var hall = $("notice-hall").value;
    if (!hall) { return Promise.resolve(); }
    return O.api("GET", "/api/v1/halls/" + encodeURIComponent(hall) + "/snapshot").then(function (r) {
      var ul = $("notice-list");
      O.clear(ul);
      (r.body.notices || []).forEach(function (n) {
        var li = el("li");
        li.setAttribute("data-notice", n.id);
        var t = el("div");
        O.bi(t, n.text);
        t.appendChild(el("span", "muted", " · " + O.time(n.at)));
        li.appendChild(t);
        li.appendChild(button("撤下 Withdraw", "small danger", function () {
          O.api("DELETE", "/api/v1/halls/" + encodeURIComponent(hall) + "/notices/" + encodeURIComponent(n.id)).then(function () {
            flash("已撤下 Withdrawn");
            return loadNotices();
          }).catch(function (e) { flash(e.message, true); });
        }));
        ul.appendChild(li);
      });
      if (!ul.firstChild) { ul.appendChild(el("li", "muted", "暂无公告 No notices")); }
    });
  }

  function submitNotice(ev) {
    ev.preventDefault();
    var f = $("notice-form"), hall = $("notice-hall").value;
    O.api("POST", "/api/v1/halls/" + encodeURIComponent(hall) + "/notices", { text: { zh: f.zh.value.trim(), en: f.en.value.trim() } }).then(function () {
      formOK(f);
      f.reset();
      flash("已发布 Published");
      return loadNotices();
    }).catch(function (e) { formError(f, e); });
  }

  // ---- the long-standing list: the editor shared with /supervision (longlist.js) ----

  var longList = null;
  function loadItems() {
    longList = longList || O.longListEditor($("longlist-editor"));
    return longList.load();
  }

  // ---- notifications (docs/NOTIFY.md): the outbox and its dead letters, with a retry each ----

  function loadNotify() {
    return O.api("GET", "/api/v1/admin/notifications").then(function (r) {
      var b = r.body;
      O.setText("notify-status", "已投递 Delivered " + b.delivered + " · 待发送 Waiting " + b.pending + " · 失败 Dead " + b.dead +
        " · 案件日志 Case log " + b.cursor + "/" + b.lastSeq);
      var pill = $("dead-count");
      pill.textContent = String(b.dead);
      O.show(pill, b.dead > 0);
      var tb = $("dead-table").tBodies[0];
      O.clear(tb);
      (b.deadLetters || []).forEach(function (d) {
        var tr = el("tr");
        tr.setAttribute("data-key", d.key);
        tr.appendChild(el("td", "nowrap", d.case || d.hall || ""));
        tr.appendChild(el("td", "", d.channel));
        tr.appendChild(el("td", "", d.recipient + (d.to && d.to !== d.recipient && d.channel !== "robot" ? " (" + d.to + ")" : "")));
        tr.appendChild(el("td", "", d.title));
        tr.appendChild(el("td", "num", String(d.attempts)));
        tr.appendChild(el("td", "detail", d.lastError || ""));
        var td = el("td");
        td.appendChild(button("重发 Retry", "small", function () {
          O.api("POST", "/api/v1/admin/notifications/retry", { key: d.key }).then(function () {
            flash("已重新排队 Queued again: " + (d.case || d.title));
            return loadNotify();
          }).catch(function (e) { flash(e.message, true); });
        }));
        tr.appendChild(td);
        tb.appendChild(tr);
      });
      O.show("dead-none", !(b.deadLetters || []).length);
    });
  }

  // ---- audit ----

  function loadAudit(more) {
    var f = $("audit-form"), q = [];
    ["actor", "kind", "target"].forEach(function (k) { if (f[k].value.trim()) { q.push(k + "=" + encodeURIComponent(f[k].value.trim())); } });
    // Dates are campus days: since the start of the first, until the end of the last.
    if (f.since.value) { q.push("since=" + encodeURIComponent(f.since.value)); }
    if (f.until.value) { q.push("until=" + encodeURIComponent(f.until.value)); }
    q.push("limit=" + AUDIT_PAGE);
    if (more && auditNext) { q.push("cursor=" + encodeURIComponent(auditNext)); }
    return O.api("GET", "/api/v1/admin/audit?" + q.join("&")).then(function (r) {
      var tb = $("audit-table").tBodies[0];
      if (!more) { O.clear(tb); }
      (r.body.entries || []).forEach(function (e) {
        var tr = el("tr");
        tr.setAttribute("data-at", e.at);
        tr.appendChild(el("td", "nowrap", O.time(e.at, "YYYY-MM-DD hh:mm:ss")));
        tr.appendChild(el("td", "", e.actor));
        tr.appendChild(el("td", "", e.kind));
        tr.appendChild(el("td", "", e.target));
        tr.appendChild(el("td", "detail", typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail || "")));
        tb.appendChild(tr);
      });
      auditNext = r.body.next || "";
      O.show("audit-more", !!auditNext);
    }).catch(function (e) { flash(e.message, true); });
  }

  // ---- tabs and start ----

  var loaders = {
    campus: function () { return campus ? Promise.resolve() : loadCampus(); },
    calendar: function () { return campus ? Promise.resolve() : loadCampus(); },
    staff: loadStaff,
    devices: loadDevices,
    notices: function () { return (campus ? Promise.resolve() : loadCampus()).then(loadNotices); },
    longlist: loadItems, // the editor names departments from the catalogue: no campus needed
    audit: function () { return loadAudit(false); },
    notify: loadNotify
  };

  function showTab(name) {
    if (!loaders[name]) { name = "campus"; }
    if (tab && tab !== name) { O.show("flash", false); } // a message belongs to its section
    tab = name;
    document.querySelectorAll("#tabs a").forEach(function (a) {
      var on = a.getAttribute("data-tab") === name;
      a.classList.toggle("active", on);
      if (on) { a.setAttribute("aria-current", "page"); } else { a.removeAttribute("aria-current"); }
    });
    document.querySelectorAll("section.tab").forEach(function (s) { O.show(s, s.id === "tab-" + name); });
    loaders[name]().catch(function (e) { flash(e.message, true); });
  }

  function start(m) {
    me = m;
    if (m.role !== "admin" || m.device) {
      O.show("login", false);
      O.show("forbidden", true);
      O.setText("who", m.subject);
      O.show("logout", true);
      return;
    }
    O.show("login", false);
    O.show("forbidden", false);
    O.show("app", true);
    O.setText("who", m.subject);
    O.show("logout", true);
    loadCampus().catch(function (e) { flash(e.message, true); }).then(function () {
      showTab((location.hash || "#campus").slice(1));
    });
    // Device health where the admin looks: every 3 s, also for the alert count on the tab.
    clearInterval(deviceTimer);
    deviceTimer = setInterval(function () {
      if (document.hidden) { return; }
      loadDevices().catch(function (e) { if (e.status === 401) { location.reload(); } });
    }, 3000);
    loadDevices().catch(function () { return null; });
  }

  // The role choices, named by the catalogue.
  document.querySelectorAll("select[data-roles]").forEach(function (sel) {
    sel.getAttribute("data-roles").split(" ").forEach(function (r) {
      var o = el("option", "", O.labelText("role", r) + " · " + r);
      o.value = r;
      sel.appendChild(o);
    });
  });

  window.addEventListener("hashchange", function () { if (me) { showTab(location.hash.slice(1)); } });
  $("campus-save").addEventListener("click", function () { saveCampus($("campus-errors"), $("campus-save")); });
  $("calendar-save").addEventListener("click", function () { saveCampus($("calendar-errors"), $("calendar-save")); });
  $("campus-reload").addEventListener("click", function () {
    loadCampus().then(function () { flash("已重新载入 Reloaded"); }).catch(function (e) { flash(e.message, true); });
  });
  addDate("holidays", $("add-holiday"));
  addDate("workdays", $("add-workday"));
  $("staff-form").addEventListener("submit", submitStaff);
  $("staff-cancel").addEventListener("click", resetStaffForm);
  $("device-form").addEventListener("submit", submitDevice);
  $("notice-form").addEventListener("submit", submitNotice);
  $("notice-hall").addEventListener("change", function () { loadNotices().catch(function (e) { flash(e.message, true); }); });
  $("audit-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadAudit(false); });
  $("audit-more").addEventListener("click", function () { loadAudit(true); });

  O.login(start);
  O.logout(function () { location.reload(); });
  O.api("GET", "/api/v1/me").then(function (r) { start(r.body); }).catch(function () { O.show("login", true); })
    .then(function () { ready = true; });

  // For the browser tests: whether the first sign-in check is done, the tab shown, the campus
  // version the page edits.
  window.onedoorAdmin = {
    ready: function () { return ready; },
    tab: function () { return tab; },
    version: function () { return version; }
  };
}());
