package io.jrnn;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch tensor-name schema, written once for every loader (recurrent layers, {@link Linear},
 * {@link Embedding}, {@link Seq2Seq}, {@link SequenceModel}): the names {@code torch.nn} modules give their
 * parameters and the float dtypes accepted for them. Stateless.
 */
final class Weights {
    private Weights() {}

    /** The dtypes read as float32 weights. */
    static final Set<String> FLOAT_DTYPES = Set.of("F32", "F16", "BF16", "F64");

    /**
     * {@code torch.nn.RNN/LSTM/GRU} parameter names: weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0, ... and
     * weight_p_l0 (LSTM peepholes, an ONNX extra).
     */
    static final Pattern RECURRENT_NAME = Pattern.compile("(weight|bias)_(ih|hh|hr|p)_l(\\d+)(_reverse)?");

    static String dot(String prefix) {
        return prefix.isEmpty() ? "" : prefix + ".";
    }

    /** {@code prefix.weight_ih_l<layer>[_reverse]} and its siblings ({@code kind} = "weight_ih", "bias_hh", ...). */
    static String recurrent(String prefix, String kind, int layer, int direction) {
        return dot(prefix) + kind + "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    /** The shape of a float tensor that must exist; {@code what} says what it is for in the message. */
    static int[] floatShape(StateDict sd, String name, String what) {
        if (!sd.contains(name)) {
            throw new IllegalArgumentException("missing tensor " + name + " (" + what + ")");
        }
        String dtype = sd.dtype(name);
        if (!FLOAT_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("tensor " + name + " must be a float tensor (F32, F16, BF16 or F64), got "
                    + dtype);
        }
        return sd.shape(name);
    }

    /** The prefixes under which the state dict holds recurrent layer 0 weights ("" for none), sorted. */
    static Set<String> recurrentPrefixes(StateDict sd) {
        Set<String> out = new TreeSet<>();
        for (String name : sd.names()) {
            int dot = name.lastIndexOf('.');
            String last = name.substring(dot + 1);
            Matcher m = RECURRENT_NAME.matcher(last);
            if (m.matches() && m.group(1).equals("weight") && m.group(2).equals("ih") && m.group(3).equals("0")
                    && m.group(4) == null) {
                out.add(dot < 0 ? "" : name.substring(0, dot));
            }
        }
        return out;
    }
}
