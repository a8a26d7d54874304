package activities

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReviewPriority(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		partial string
		want    int
	}{
		{``, 100},
		{`not json`, 100},
		{`{"total": 50}`, 100},
		{`{"total": 2500}`, 85},
		{`{"total": 25000}`, 70},
		{`{"total": 50, "due_date": "2024-03-11"}`, 70},
		{`{"total": 50, "due_date": "2024-03-20"}`, 90},
		{`{"total": 25000, "due_date": "2024-03-01"}`, 40},
		{`{"due_date": "someday"}`, 100},
	} {
		require.Equal(t, tc.want, reviewPriority(json.RawMessage(tc.partial), now), tc.partial)
	}
}
