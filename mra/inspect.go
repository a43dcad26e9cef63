package mra

// RelationGraph returns the relation graph g_i = g_φ(o_i, z_i) with which
// agent i chose its action at the last Act: one attention weight per entity
// row of its encoding (E of them), in the order of the entity blocks of
// its observation (set by set, as the spec lays them out), so that row e
// shows whatever the game's e-th block shows. Rows the game masks and
// padding rows hold 0; the others sum to 1. It returns nil before the
// first Act. The slice is the agent's own buffer, valid until the next Act
// or ActionProbs (which evaluates graphs of its own); copy it to keep it.
//
// It lets tools show whom each agent attends to (mrasim render draws it)
// without reaching into the networks.
func (a *Agent) RelationGraph(i int) []float64 {
	if !a.latents {
		return nil
	}
	e := a.enc.E
	return a.graph[i*e : (i+1)*e : (i+1)*e]
}

// Latent returns the latent z_i agent i plays in the current episode (K
// values on the simplex): the one-hot mode drawn from the prior p(z|m) at
// the episode's first Act, or its type's fixed latent (FixLatents,
// SetLatents). It returns nil before the first Act. The slice is the
// agent's own buffer, valid until the next episode starts.
func (a *Agent) Latent(i int) []float64 {
	if !a.latents {
		return nil
	}
	k := a.model.Config().Latents
	return a.z[i*k : (i+1)*k : (i+1)*k]
}

// RelationGraph is Agent.RelationGraph for a Player: agent i's relation
// graph at the last Act (E weights in the order of its observation's
// entity blocks), nil before the first Act. The slice is the player's own
// buffer, valid until the next Act or ActionProbs.
func (p *Player) RelationGraph(i int) []float64 {
	if !p.drawn {
		return nil
	}
	e := p.enc.E
	return p.graph[i*e : (i+1)*e : (i+1)*e]
}

// Latent is Agent.Latent for a Player: the one-hot latent agent i drew for
// the current episode, nil before the first Act.
func (p *Player) Latent(i int) []float64 {
	if !p.drawn {
		return nil
	}
	k := p.model.Config().Latents
	return p.z[i*k : (i+1)*k : (i+1)*k]
}
