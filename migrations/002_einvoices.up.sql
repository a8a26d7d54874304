-- The EN 16931 XML (CII or UBL) a document carries: the attachment of a
-- Factur-X/ZUGFeRD/XRechnung PDF, or a bare XML document's own bytes. Written
-- by the parse step and read by the einvoice tier, so the XML never travels
-- through workflow history.
CREATE TABLE einvoices (
    document_id text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '', -- attachment file name; empty for a bare XML document
    xml         bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
