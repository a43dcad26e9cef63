package mra

// RelationGraph returns the relation graph g_i = g_φ(o_i, z_i) with which
// agent i chose its action at the last Act: one attention weight per entity
// row of its encoding (E of them), in the order of the entity blocks of
// its observation (set by set, as the spec lays them out), so that row e
// shows whatever the game's e-th block shows. Rows the game masks and
// padding rows hold 0; the others sum to 1. It returns nil before the
// first Act (and after Reseed or SetLatents, until the next Act). The
// slice is the player's own buffer, valid until the next Act or
// ActionProbs (which evaluates graphs of its own); copy it to keep it.
//
// It lets tools show whom each agent attends to (mrasim render draws it)
// without reaching into the networks.
func (p *Player) RelationGraph(i int) []float64 {
	if !p.drawn {
		return nil
	}
	e := p.enc.E
	return p.graph[i*e : (i+1)*e : (i+1)*e]
}

// Latent returns the latent z_i agent i plays in the current episode (K
// values on the simplex): the one-hot mode it drew from its type's modes
// at the episode's first Act, or its type's fixed latent (SetLatents). It
// returns nil before the first Act (and after Reseed or SetLatents, until
// the next Act). The slice is the player's own buffer, valid until the
// next episode starts.
func (p *Player) Latent(i int) []float64 {
	if !p.drawn {
		return nil
	}
	k := p.model.Config().Latents
	return p.z[i*k : (i+1)*k : (i+1)*k]
}
