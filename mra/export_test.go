package mra

// SetSerialSampling makes t sample each batch of an update cycle just
// before its step instead of prefetching it (for the bit-identity test).
func SetSerialSampling(t *Trainer, serial bool) { t.serial = serial }
