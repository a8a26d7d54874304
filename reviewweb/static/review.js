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

// The PDF's pages, rendered by pdf.js from the document the server stores.
const pdf = document.getElementById("pdf");
if (pdf) {
  const pdfjs = await import("/static/pdf.min.mjs");
  pdfjs.GlobalWorkerOptions.workerSrc = "/static/pdf.worker.min.mjs";
  try {
    const doc = await pdfjs.getDocument({ url: pdf.dataset.src, isEvalSupported: false }).promise;
    for (let n = 1; n <= Math.min(doc.numPages, 50); n++) {
      const page = await doc.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      canvas.dataset.page = String(n);
      pdf.append(canvas);
      await page.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
    }
    pdf.dataset.rendered = String(doc.numPages);
  } catch (err) {
    pdf.textContent = `The PDF could not be shown (${err}); the extracted text is below.`;
    pdf.dataset.error = String(err);
    pdf.nextElementSibling?.setAttribute("open", "");
  }
}
