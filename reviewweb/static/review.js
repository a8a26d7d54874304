// The review page's few scripts: keyboard shortcuts, the lease countdown and
// the PDF view. Everything else works without JavaScript.

// n claims the next item (outside text fields); ctrl+enter submits the fields.
document.addEventListener("keydown", (e) => {
  const typing = e.target.closest("input, textarea, select");
  if (e.key === "n" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
    document.getElementById("claim-next")?.requestSubmit();
  }
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    document.getElementById("fields")?.requestSubmit();
  }
});

// The lease countdown.
const left = document.getElementById("lease-left");
if (left) {
  const expires = Date.parse(left.dataset.expires);
  const tick = () => {
    const s = Math.round((expires - Date.now()) / 1000);
    if (s <= 0) {
      left.textContent = "no time";
      left.closest(".lease")?.classList.add("expired");
      return;
    }
    left.textContent = `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
    setTimeout(tick, 1000);
  };
  tick();
}

// needles are the forms a field's value may take in the document: as typed,
// and for amounts with two decimals and with comma or dot separators.
function needles(value) {
  const v = value.trim();
  if (v.length < 2) return [];
  const out = [v];
  if (/^-?\d+(\.\d+)?$/.test(v)) {
    const fixed = Number(v).toFixed(2);
    const [int, dec] = fixed.split(".");
    const grouped = (sep) => int.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
    out.push(fixed, `${int},${dec}`, `${grouped(".")},${dec}`, `${grouped(",")}.${dec}`);
  }
  return [...new Set(out)].map((n) => n.toLowerCase());
}

// highlighters show where the focused field's value is in the document.
const highlighters = [];
document.querySelectorAll("#fields input").forEach((input) => {
  const show = () => highlighters.forEach((h) => h(needles(input.value)));
  for (const event of ["focus", "click", "input"]) input.addEventListener(event, show);
});

// The text view: matches are marked.
const pre = document.querySelector(".document pre.text");
if (pre) {
  const text = pre.textContent;
  highlighters.push((ns) => {
    pre.replaceChildren();
    const lower = text.toLowerCase();
    let at = 0;
    for (;;) {
      let best = -1, len = 0;
      for (const n of ns) {
        const i = lower.indexOf(n, at);
        if (i >= 0 && (best < 0 || i < best)) { best = i; len = n.length; }
      }
      if (best < 0) break;
      pre.append(text.slice(at, best));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(best, best + len);
      pre.append(mark);
      at = best + len;
    }
    pre.append(text.slice(at));
    pre.querySelector("mark")?.scrollIntoView({ block: "center" });
  });
}

// The PDF's pages, rendered by pdf.js from the document the server stores;
// matches are boxes over the page, placed from pdf.js's text positions.
const pdf = document.getElementById("pdf");
if (pdf) {
  const pdfjs = await import("/static/pdf.min.mjs");
  pdfjs.GlobalWorkerOptions.workerSrc = "/static/pdf.worker.min.mjs";
  try {
    const doc = await pdfjs.getDocument({ url: pdf.dataset.src, isEvalSupported: false }).promise;
    const pages = [];
    for (let n = 1; n <= Math.min(doc.numPages, 50); n++) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const holder = document.createElement("div");
      holder.className = "page";
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.dataset.page = String(n);
      holder.append(canvas);
      pdf.append(holder);
      await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
      pages.push({ holder, viewport, items: (await page.getTextContent()).items });
    }
    highlighters.push((ns) => {
      pdf.querySelectorAll(".hl").forEach((h) => h.remove());
      for (const { holder, viewport, items } of pages) {
        for (const item of items) {
          if (!ns.some((n) => item.str.toLowerCase().includes(n))) continue;
          const tx = pdfjs.Util.transform(viewport.transform, item.transform);
          const height = Math.hypot(tx[2], tx[3]);
          const box = document.createElement("div");
          box.className = "hl";
          box.style.left = `${(tx[4] / viewport.width) * 100}%`;
          box.style.top = `${((tx[5] - height) / viewport.height) * 100}%`;
          box.style.width = `${((item.width * viewport.scale) / viewport.width) * 100}%`;
          box.style.height = `${(height * 1.2 / viewport.height) * 100}%`;
          holder.append(box);
        }
      }
      pdf.querySelector(".hl")?.scrollIntoView({ block: "center" });
    });
    pdf.dataset.rendered = String(doc.numPages);
  } catch (err) {
    pdf.textContent = `The PDF could not be shown (${err}); the extracted text is below.`;
    pdf.dataset.error = String(err);
    pdf.nextElementSibling?.setAttribute("open", "");
  }
}
