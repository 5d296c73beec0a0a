//go:build race

package rewrite

// raceDetector: the tests run under -race, which makes the engine several
// times slower; the soundness harness then checks fewer pairs (it still
// runs them on every processor, which is what the race detector watches).
const raceDetector = true
