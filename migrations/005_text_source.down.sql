ALTER TABLE document_texts DROP COLUMN source, DROP COLUMN ocr_confidence;
