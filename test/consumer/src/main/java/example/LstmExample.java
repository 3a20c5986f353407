package example;

import java.nio.file.Path;
import java.util.Arrays;

import io.jrnn.Jrnn;
import io.jrnn.Lstm;
import io.jrnn.RecurrentOutput;
import io.jrnn.StateDict;
import io.jrnn.Tensor;

/** The README's example: load an LSTM saved from PyTorch and run a batch through it. */
public final class LstmExample {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "test/golden/rnn/036-lstm-L1bi-I5H7-T2B4-len0T-h0.safetensors");
        // torch: safetensors.torch.save_file(model.state_dict(), "lstm.safetensors") with model.rnn = nn.LSTM(...)
        try (StateDict weights = StateDict.load(file);
             Lstm lstm = Lstm.load(weights, "rnn")) {
            int T = 5, B = 2;
            float[] data = new float[T * B * lstm.inputSize()];
            for (int i = 0; i < data.length; i++) data[i] = (float) Math.sin(i);
            try (Tensor x = Tensor.of(data, T, B, lstm.inputSize());              // x[T,B,I], time-major
                 RecurrentOutput out = lstm.forward(x, new int[] {5, 3}, null, null)) { // lengths; h0, c0 = zeros
                System.out.println(lstm + " on " + Jrnn.isa());
                System.out.println("output " + Arrays.toString(out.output().shape())
                        + ", h_n " + Arrays.toString(out.hn().shape()) + ", c_n " + Arrays.toString(out.cn().shape()));
                System.out.println("h_n[last layer, sequence 0][0..3] = "
                        + Arrays.toString(Arrays.copyOf(out.hn().toArray(), 4)));
            }
        }
    }
}
