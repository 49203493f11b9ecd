// `handbook serve` adds this script to the HTML pages it serves (never to the files in output/).
// It listens to the server's events: while a rebuild runs it shows a small badge; when the
// sources have a problem it shows the build's messages over the page; when the rebuild changed
// this page it reloads it, keeping the scroll position.
(function () {
  "use strict";
  var script = document.currentScript;
  var since = script ? script.getAttribute("data-generation") || "0" : "0";
  var path = decodeURIComponent(location.pathname);
  if (path.charAt(path.length - 1) === "/") path += "index.html";
  var key = "handbook-serve-scroll:" + path;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    var restore = function () { window.scrollTo(0, Number(saved) || 0); };
    if (document.readyState === "complete") restore(); else window.addEventListener("load", restore);
  }

  var badge = null, panel = null;
  var font = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

  function showBadge(on) {
    if (on && !badge) {
      badge = document.createElement("div");
      badge.id = "handbook-serve-building";
      badge.setAttribute("role", "status");
      badge.textContent = "正在重新生成…";
      badge.style.cssText = "position:fixed;right:12px;bottom:12px;z-index:2147483647;padding:6px 12px;" +
        "border-radius:4px;background:#1f5f99;color:#fff;font:14px/1.4 " + font + ";box-shadow:0 1px 4px rgba(0,0,0,.3)";
      document.body.appendChild(badge);
    } else if (!on && badge) {
      badge.remove();
      badge = null;
    }
  }

  function showProblems(lines) {
    if (panel) { panel.remove(); panel = null; }
    if (!lines.length) return;
    panel = document.createElement("section");
    panel.id = "handbook-serve-problems";
    panel.setAttribute("role", "alert");
    panel.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:2147483646;max-height:70vh;overflow:auto;" +
      "margin:0;padding:12px 16px;background:#fff4f4;color:#6b0f0f;border-bottom:3px solid #c62828;" +
      "font:14px/1.6 " + font + ";box-shadow:0 2px 8px rgba(0,0,0,.25)";
    var title = document.createElement("strong");
    title.textContent = "源文件有问题，未重新生成；页面仍是上次成功生成的内容。修改后保存即自动重试：";
    var list = document.createElement("pre");
    list.style.cssText = "margin:8px 0 0;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.6 monospace," + font;
    list.textContent = lines.join("\n");
    var hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "暂时隐藏";
    hide.style.cssText = "float:right;margin-left:12px;font:inherit;padding:2px 10px;cursor:pointer";
    hide.addEventListener("click", function () { panel.style.display = "none"; });
    panel.appendChild(hide);
    panel.appendChild(title);
    panel.appendChild(list);
    document.body.appendChild(panel);
  }

  var source = new EventSource("/__handbook__/events?since=" + encodeURIComponent(since));
  window.addEventListener("pagehide", function () { source.close(); });
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    if (state.changed.indexOf("*") >= 0 || state.changed.indexOf(path) >= 0) {
      sessionStorage.setItem(key, String(window.scrollY));
      source.close();
      location.reload();
      return;
    }
    showBadge(state.building);
    showProblems(state.problems);
  });
})();
