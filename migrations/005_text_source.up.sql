-- Where a document's text came from (text_layer, ocr, file, einvoice) and,
-- for OCR, Tesseract's mean word confidence (0-100): the tiers read it to
-- doubt scans and to send their page images to vision models.
ALTER TABLE document_texts
    ADD COLUMN source text NOT NULL DEFAULT '',
    ADD COLUMN ocr_confidence double precision NOT NULL DEFAULT 0;
