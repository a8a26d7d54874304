ALTER TABLE attempts DROP COLUMN text_source, DROP COLUMN page_images;
