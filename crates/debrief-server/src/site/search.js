// Search for the static site written by `debrief site build`. It reads the index that
// search-index.js defines (window.DEBRIEF_SEARCH) and ranks with BM25, as `debrief search`
// does: words match their other forms, prefix* matches the start of words, -word leaves out
// reviews that have it, and "a phrase" needs all its words. Text goes into the page as text.
(function () {
  "use strict";
  var index = window.DEBRIEF_SEARCH;
  var form = document.getElementById("q");
  var status = document.getElementById("status");
  var list = document.getElementById("hits");
  if (!index || !form || !status || !list) {
    return;
  }
  var STOP = ("a an and are as at be been but by for from had has have he her his i in into is it " +
    "its of on or our she so that the their them then there these they this those to was we were " +
    "which who will with you your").split(" ");

  function words(text) {
    return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
  }

  // The stem of a word as the index wrote it, or of a form of it the reviews do not hold.
  function stem(word) {
    if (Object.prototype.hasOwnProperty.call(index.words, word)) {
      return index.words[word];
    }
    var tries = [word];
    var ends = [["ies", "y"], ["es", ""], ["s", ""], ["ed", ""], ["ing", ""], ["ly", ""]];
    for (var i = 0; i < ends.length; i++) {
      var e = ends[i];
      if (word.length > e[0].length + 2 && word.slice(-e[0].length) === e[0]) {
        tries.push(word.slice(0, -e[0].length) + e[1]);
      }
    }
    for (var j = 0; j < tries.length; j++) {
      var t = tries[j];
      if (Object.prototype.hasOwnProperty.call(index.words, t)) {
        return index.words[t];
      }
      if (Object.prototype.hasOwnProperty.call(index.postings, t)) {
        return t;
      }
    }
    return word;
  }

  // The query: groups of stems (a word is a group of one; a prefix, every stem of a word that
  // starts with it), which are required or optional, and stems that leave a review out.
  function parse(text) {
    var q = { optional: [], required: [], excluded: [] };
    var re = /"([^"]*)"|(-?)([^\s"]+)/g;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (m[1] !== undefined) {
        words(m[1]).forEach(function (w) {
          if (STOP.indexOf(w) < 0) {
            q.required.push([stem(w)]);
          }
        });
        continue;
      }
      var neg = m[2] === "-";
      var raw = m[3];
      var prefix = raw.slice(-1) === "*";
      var ws = words(raw);
      ws.forEach(function (w, k) {
        if (STOP.indexOf(w) >= 0) {
          return;
        }
        var group;
        if (prefix && k === ws.length - 1 && w.length >= 3) {
          var stems = {};
          Object.keys(index.postings).forEach(function (t) {
            if (t.indexOf(w) === 0) { stems[t] = true; }
          });
          Object.keys(index.words).forEach(function (x) {
            if (x.indexOf(w) === 0) { stems[index.words[x]] = true; }
          });
          group = Object.keys(stems);
        } else {
          group = [stem(w)];
        }
        if (neg) {
          q.excluded = q.excluded.concat(group);
        } else {
          q.optional.push(group);
        }
      });
    }
    return q;
  }

  function search(text) {
    var q = parse(text);
    var n = index.docs.length;
    var avg = 0;
    index.docs.forEach(function (d) { avg += d.len; });
    avg = n ? avg / n : 1;
    var scores = {};
    var has = {};
    function score(group, g) {
      group.forEach(function (t) {
        var post = index.postings[t] || [];
        var idf = Math.log(1 + (n - post.length + 0.5) / (post.length + 0.5));
        post.forEach(function (p) {
          var d = index.docs[p[0]];
          var tf = p[1];
          var s = idf * tf * (index.k1 + 1) / (tf + index.k1 * (1 - index.b + index.b * d.len / avg));
          scores[p[0]] = (scores[p[0]] || 0) + s;
          (has[p[0]] = has[p[0]] || {})[g] = true;
        });
      });
    }
    var groups = q.required.concat(q.optional);
    groups.forEach(function (group, g) { score(group, g); });
    var out = [];
    Object.keys(scores).forEach(function (k) {
      var doc = +k;
      for (var r = 0; r < q.required.length; r++) {
        if (!has[doc][r]) { return; }
      }
      for (var e = 0; e < q.excluded.length; e++) {
        var post = index.postings[q.excluded[e]] || [];
        for (var i = 0; i < post.length; i++) {
          if (post[i][0] === doc) { return; }
        }
      }
      out.push({ doc: doc, score: scores[doc] });
    });
    out.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
    var matched = {};
    groups.forEach(function (group) { group.forEach(function (t) { matched[t] = true; }); });
    return { hits: out, matched: matched };
  }

  // Text with the words that matched in <mark>, built as DOM nodes.
  function marked(parent, text, matched) {
    var re = /[\p{L}\p{N}]+/gu;
    var last = 0;
    var m;
    while ((m = re.exec(text)) !== null) {
      if (matched[stem(m[0].toLowerCase())]) {
        parent.appendChild(document.createTextNode(text.slice(last, m.index)));
        var mark = document.createElement("mark");
        mark.textContent = m[0];
        parent.appendChild(mark);
        last = m.index + m[0].length;
      }
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var params = new URLSearchParams(window.location.search);
  var text = (params.get("q") || "").trim();
  form.value = text;
  if (!text) {
    status.textContent = "Type words to search " + index.docs.length + " published reviews.";
    return;
  }
  var found = search(text);
  status.textContent = found.hits.length === 0
    ? "No review matches."
    : found.hits.length + (found.hits.length === 1 ? " review matches." : " reviews match.");
  found.hits.slice(0, 50).forEach(function (h) {
    var d = index.docs[h.doc];
    var li = document.createElement("li");
    li.className = "hit";
    var a = document.createElement("a");
    a.href = d.url;
    var id = document.createElement("strong");
    id.textContent = d.id;
    a.appendChild(id);
    a.appendChild(document.createTextNode(" "));
    marked(a, d.title, found.matched);
    li.appendChild(a);
    var meta = document.createElement("p");
    meta.className = "muted snippet";
    meta.textContent = [d.date, d.severity, d.services.join(", ")].filter(Boolean).join(" · ");
    li.appendChild(meta);
    if (d.summary) {
      var p = document.createElement("p");
      p.className = "snippet";
      marked(p, d.summary, found.matched);
      li.appendChild(p);
    }
    list.appendChild(li);
  });
}());
