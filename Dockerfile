# The DataForge worker and starter, for docker-compose.yml.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/worker ./worker && CGO_ENABLED=0 go build -o /out/starter ./starter && \
    CGO_ENABLED=0 go build -o /out/dataforge-parse ./parsers/sandbox/dataforge-parse

FROM debian:bookworm-slim
# Tesseract reads scans (see the README's "Scans (OCR)"); poppler-data has the CID tables of CJK fonts.
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-osd \
    tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld poppler-data && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/worker /out/starter /out/dataforge-parse /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/worker"]
