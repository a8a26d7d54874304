-- What each attempt read: where the document's text came from (text_layer,
-- ocr, file, einvoice; empty when unknown, as for an answer reused from the
-- cache) and how many page images went to a vision model with it.
ALTER TABLE attempts
    ADD COLUMN text_source text NOT NULL DEFAULT '',
    ADD COLUMN page_images integer NOT NULL DEFAULT 0;
