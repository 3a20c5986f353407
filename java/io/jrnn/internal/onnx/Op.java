package io.jrnn.internal.onnx;

/**
 * One compiled node of an imported graph: {@link #apply} maps the node's input values (null for an absent optional
 * input) to its output values (null for an output nobody reads, allowed).
 *
 * <p>Thread safety: {@code apply} may run on several threads at once; {@link #close()} frees native layers.
 */
abstract class Op implements AutoCloseable {
    final String node;

    Op(String node) {
        this.node = node;
    }

    abstract Value[] apply(Value[] in);

    /** Whether a node with only constant inputs may be computed once at load (not for the native layers). */
    boolean foldable() {
        return true;
    }

    /** What the node maps to, for {@code jrnn info}. */
    String describe() {
        return "glue (Java)";
    }

    @Override
    public void close() {
    }

    /** An op from a lambda. */
    interface Fn {
        Value[] apply(Value[] in);
    }

    static Op of(String node, Fn fn) {
        return new Op(node) {
            @Override
            Value[] apply(Value[] in) {
                return fn.apply(in);
            }
        };
    }
}
