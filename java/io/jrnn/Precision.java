package io.jrnn;

/**
 * The precision of a model's weight matrices (SPEC §1.5). Every product with a weight matrix (W_ih, W_hh, W_hr and,
 * in whole models, the linear layers, bridge, attention and output projections) reads its weights in this format;
 * embeddings, biases, activations, cell and hidden states and every element-wise step stay float32. FP32 is the
 * default and the reference.
 *
 * <p>Thread safety: an enum, immutable.
 */
public enum Precision {
    /** float32 weights: PyTorch's results within 1e-5. */
    FP32(0, 4.0),
    /**
     * bfloat16 weights, each rounded to nearest even once at load; each product's input row (x_t, h_{t-1}, ...) is
     * rounded the same way and the products are summed in float32 (as {@code vdpbf16ps}, AMX-BF16 and oneDNN's bf16
     * RNN do). Half the bytes of FP32; deviations from FP32 of order 1e-3 on typical layers.
     */
    BF16(1, 2.0),
    /**
     * Dynamic quantization (as PyTorch {@code quantize_dynamic} and ONNX Runtime's {@code DynamicQuantizeLSTM}):
     * int8 weights with one scale per output row ({@code max|W[n,:]| / 127}); each product's input row is quantized
     * to uint8 with its own scale and zero point, the products are summed exactly in int32 and scaled back. A quarter
     * of the bytes of FP32 (plus a scale and a sum per row); at most 65535 inputs per product.
     */
    INT8(2, 1.0);

    private final int nativeId;
    private final double bytesPerWeight;

    Precision(int nativeId, double bytesPerWeight) {
        this.nativeId = nativeId;
        this.bytesPerWeight = bytesPerWeight;
    }

    int nativeId() {
        return nativeId;
    }

    /** Bytes one weight takes in this precision (scales and row sums of INT8 not counted). */
    public double bytesPerWeight() {
        return bytesPerWeight;
    }

    /** At most this many inputs per product at INT8 (the int32 sums stay exact). */
    public static final int INT8_MAX_INPUTS = 65535;
}
