package parsers

//go:generate go run ./hostile/gen testdata/hostile
