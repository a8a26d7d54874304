DROP TABLE review_events;
DROP TABLE review_items;
DROP TABLE attempts;
DROP TABLE results;
DROP TABLE llm_cache;
DROP TABLE extractions;
DROP TABLE document_texts;
DROP TABLE documents;
