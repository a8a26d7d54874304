package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dataforge/dataforge/dftype"
)

// Document is a submitted document. Content is only filled by Content.
type Document struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	MediaType   string        `json:"media_type"`
	Size        int64         `json:"size_bytes"`
	Status      dftype.Status `json:"status"`
	DocType     string        `json:"doc_type,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	SubmittedAt time.Time     `json:"submitted_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	FinishedAt  *time.Time    `json:"finished_at,omitempty"`
	Content     []byte        `json:"-"`
}

// PutDocument stores a document unless one with the same id exists. It
// reports whether the row is new.
func (s *Store) PutDocument(ctx context.Context, d *Document) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO documents (id, name, media_type, size_bytes, content)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`,
		d.ID, d.Name, d.MediaType, int64(len(d.Content)), d.Content)
	if err != nil {
		return false, fmt.Errorf("store document %s: %w", d.Name, err)
	}
	return tag.RowsAffected() == 1, nil
}

const documentColumns = `id, name, media_type, size_bytes, status, coalesce(doc_type, ''),
	coalesce(reason, ''), submitted_at, updated_at, finished_at`

func scanDocument(row pgx.Row) (*Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.Name, &d.MediaType, &d.Size, &d.Status, &d.DocType,
		&d.Reason, &d.SubmittedAt, &d.UpdatedAt, &d.FinishedAt)
	return &d, err
}

// Document returns a document without its content.
func (s *Store) Document(ctx context.Context, id string) (*Document, error) {
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
	if err != nil {
		return nil, notFound(err, "document "+id)
	}
	return d, nil
}

// Documents returns the documents with the given ids, in that order; missing
// ids are skipped.
func (s *Store) Documents(ctx context.Context, ids []string) ([]*Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[string]*Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		byID[d.ID] = d
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*Document, 0, len(ids))
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// Pending returns up to limit documents that have been pending (stored,
// not yet picked up by a workflow) for longer than grace, oldest first.
func (s *Store) Pending(ctx context.Context, grace time.Duration, limit int) ([]*Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents
		WHERE status = 'pending' AND updated_at < now() - make_interval(secs => $1)
		ORDER BY updated_at LIMIT $2`, grace.Seconds(), limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Document, error) { return scanDocument(row) })
}

// Content returns a document with its bytes.
func (s *Store) Content(ctx context.Context, id string) (*Document, error) {
	var d Document
	err := s.pool.QueryRow(ctx, `SELECT id, name, media_type, content FROM documents WHERE id = $1`, id).
		Scan(&d.ID, &d.Name, &d.MediaType, &d.Content)
	if err != nil {
		return nil, notFound(err, "document "+id)
	}
	d.Size = int64(len(d.Content))
	return &d, nil
}

// StartProcessing marks a document as being processed. With reprocess, the
// candidate results of earlier runs are dropped so every tier runs again.
func (s *Store) StartProcessing(ctx context.Context, id string, reprocess bool) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE documents SET status = 'processing', reason = NULL, finished_at = NULL, updated_at = now()
			WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("document %s: %w", id, ErrNotFound)
		}
		if reprocess {
			_, err = tx.Exec(ctx, `DELETE FROM extractions WHERE document_id = $1`, id)
		}
		return err
	})
}

// Requeue marks a document that ended as pending again, before it is
// reprocessed, so that waiting for it waits for the new run. It reports
// whether the document had ended.
func (s *Store) Requeue(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE documents SET status = 'pending', reason = NULL, finished_at = NULL, updated_at = now()
		WHERE id = $1 AND status IN ('completed', 'rejected')`, id)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// SaveText stores the text of a document, where it came from, and its
// classification.
func (s *Store) SaveText(ctx context.Context, id string, t TextInfo, docType string, classification any) error {
	cls, err := json.Marshal(classification)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
			INSERT INTO document_texts (document_id, text, pages, classification, source, ocr_confidence)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (document_id) DO UPDATE
			SET text = excluded.text, pages = excluded.pages, classification = excluded.classification,
			    source = excluded.source, ocr_confidence = excluded.ocr_confidence, parsed_at = now()`,
			id, t.Text, t.Pages, cls, t.Source, t.OCRConfidence); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE documents SET doc_type = $2, updated_at = now() WHERE id = $1`, id, docType)
		return err
	})
}

// Text returns a document's text layer.
func (s *Store) Text(ctx context.Context, id string) (string, error) {
	t, err := s.TextInfo(ctx, id)
	return t.Text, err
}

// TextInfo is a document's text with where it came from.
type TextInfo struct {
	Text  string
	Pages int
	// Source is text_layer, ocr, file or einvoice (empty for texts parsed
	// before it was recorded); OCRConfidence is OCR's mean word
	// confidence, 0-100.
	Source        string
	OCRConfidence float64
}

// TextInfo reads a document's text and where it came from.
func (s *Store) TextInfo(ctx context.Context, id string) (TextInfo, error) {
	var t TextInfo
	err := s.pool.QueryRow(ctx, `SELECT text, pages, source, ocr_confidence FROM document_texts WHERE document_id = $1`, id).
		Scan(&t.Text, &t.Pages, &t.Source, &t.OCRConfidence)
	if err != nil {
		return TextInfo{}, notFound(err, "text of document "+id)
	}
	return t, nil
}

// TextSource reads where a document's text came from and, for OCR, its mean
// word confidence (see TextInfo), without the text.
func (s *Store) TextSource(ctx context.Context, id string) (source string, ocrConfidence float64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT source, ocr_confidence FROM document_texts WHERE document_id = $1`, id).
		Scan(&source, &ocrConfidence)
	if err != nil {
		return "", 0, notFound(err, "text of document "+id)
	}
	return source, ocrConfidence, nil
}

// RejectDocument ends a document as rejected with a reason.
func (s *Store) RejectDocument(ctx context.Context, id, reason string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE documents SET status = 'rejected', reason = $2, finished_at = now(), updated_at = now()
		WHERE id = $1`, id, reason)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	return nil
}

// ErrAmbiguous is returned when an id prefix matches several documents.
var ErrAmbiguous = errors.New("matches several documents; give more of the id")

// ResolveID finds the document a reference names: a full id, a workflow id
// (doc-<id>), or a unique prefix of at least 6 hex digits.
func (s *Store) ResolveID(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(ref)), "doc-")
	if len(ref) < 6 || strings.Trim(ref, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%q is not a document id (64 hex digits, or a prefix of at least 6)", ref)
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM documents WHERE id LIKE $1 || '%' ORDER BY id LIMIT 2`, ref)
	if err != nil {
		return "", err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("document %s: %w", ref, ErrNotFound)
	case 1:
		return ids[0], nil
	default:
		return "", fmt.Errorf("%s %w", ref, ErrAmbiguous)
	}
}

// SaveEInvoice stores the EN 16931 XML a document carries, and the name of
// the attachment it came from ("" for a bare XML document).
func (s *Store) SaveEInvoice(ctx context.Context, id, name string, xml []byte) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO einvoices (document_id, name, xml) VALUES ($1, $2, $3)
		ON CONFLICT (document_id) DO UPDATE SET name = excluded.name, xml = excluded.xml, created_at = now()`,
		id, name, xml)
	if err != nil {
		return fmt.Errorf("save e-invoice of %s: %w", id, err)
	}
	return nil
}

// EInvoice returns the EN 16931 XML stored for a document and its
// attachment name.
func (s *Store) EInvoice(ctx context.Context, id string) (xml []byte, name string, err error) {
	err = s.pool.QueryRow(ctx, `SELECT xml, name FROM einvoices WHERE document_id = $1`, id).Scan(&xml, &name)
	if err != nil {
		return nil, "", notFound(err, "e-invoice of document "+id)
	}
	return xml, name, nil
}
