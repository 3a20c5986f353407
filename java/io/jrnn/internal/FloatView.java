package io.jrnn.internal;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A non-owning pointer {@code offset} floats into another native buffer, for passing sub-arrays (a layer of a
 * state, a column block of a row) to the kernels. Never frees anything; the caller keeps the base alive.
 * Thread safety: as for the buffer it points into.
 */
public final class FloatView extends FloatPointer {
    public FloatView(FloatPointer base, long offset) {
        super((Pointer) null);
        this.address = base.address() + (base.position() + offset) * Float.BYTES;
    }
}
