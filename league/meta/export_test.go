package meta

// ProjectSimplex exposes the exact projection onto Δ_γ to the black-box
// tests; it returns the projection of a copy of y.
func ProjectSimplex(y []float64, gamma float64) []float64 {
	z := append([]float64(nil), y...)
	projectSimplex(z, gamma, make([]float64, len(z)))
	return z
}
