package parsers

import (
	"context"
	"testing"
)

func BenchmarkParsePDF(b *testing.B) {
	list, data := loadSamples(b)
	for i, e := range list {
		if e.ParseError != "" || DetectMediaType(e.File, data[i]) != MediaPDF {
			continue
		}
		b.Run(e.File, func(b *testing.B) {
			b.SetBytes(int64(len(data[i])))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(context.Background(), data[i], MediaPDF, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkExtractRules(b *testing.B) {
	list, data := loadSamples(b)
	for i, e := range list {
		if e.ParseError != "" {
			continue
		}
		doc, err := Parse(context.Background(), data[i], DetectMediaType(e.File, data[i]), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.File, func(b *testing.B) {
			b.SetBytes(int64(len(doc.Text)))
			b.ReportAllocs()
			for b.Loop() {
				ExtractRules(doc.Text, e.Type)
			}
		})
	}
}
