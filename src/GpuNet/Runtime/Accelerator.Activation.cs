namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>y = max(x, 0). x and y may be the same tensor.</summary>
    public void ReluForward(Tensor x, Tensor y) { CheckUnary(x, y); ReluForwardInternal(x, y); }
    /// <summary>dx = dy · [y &gt; 0] (y is the forward output). dx may alias dy.</summary>
    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        CheckBinary(y, dy, dx); ReluBackwardInternal(y, dy, dx);
    }

    /// <summary>y = x for x &gt; 0, slope · x otherwise.</summary>
    public void LeakyReluForward(Tensor x, Tensor y, float slope)
    {
        CheckUnary(x, y);
        LeakyReluForwardInternal(x, y, slope);
    }
    /// <summary>dx = dy for x &gt; 0, slope · dy otherwise (x is the forward input).</summary>
    public void LeakyReluBackward(Tensor x, Tensor dy, Tensor dx, float slope)
    {
        CheckBinary(x, dy, dx);
        LeakyReluBackwardInternal(x, dy, dx, slope);
    }

    /// <summary>y = 1 / (1 + e^-x).</summary>
    public void SigmoidForward(Tensor x, Tensor y) { CheckUnary(x, y); SigmoidForwardInternal(x, y); }
    /// <summary>dx = dy · y (1 − y) (y is the forward output).</summary>
    public void SigmoidBackward(Tensor y, Tensor dy, Tensor dx)
    {
        CheckBinary(y, dy, dx);
        SigmoidBackwardInternal(y, dy, dx);
    }

    /// <summary>y = tanh(x).</summary>
    public void TanhForward(Tensor x, Tensor y) { CheckUnary(x, y); TanhForwardInternal(x, y); }
    /// <summary>dx = dy · (1 − y²) (y is the forward output).</summary>
    public void TanhBackward(Tensor y, Tensor dy, Tensor dx)
    {
        CheckBinary(y, dy, dx); TanhBackwardInternal(y, dy, dx);
    }

    private void CheckUnary(Tensor x, Tensor y)
    {
        Check(x, nameof(x)); Check(y, nameof(y)); CheckSameLength(x, nameof(x), y, nameof(y));
    }

    private void CheckBinary(Tensor a, Tensor dy, Tensor dx)
    {
        Check(a, "forward tensor"); Check(dy, nameof(dy)); Check(dx, nameof(dx));
        CheckSameLength(a, "forward tensor", dy, nameof(dy)); CheckSameLength(dy, nameof(dy), dx, nameof(dx));
    }

    protected abstract void ReluForwardInternal(Tensor x, Tensor y);
    protected abstract void ReluBackwardInternal(Tensor y, Tensor dy, Tensor dx);
    protected abstract void LeakyReluForwardInternal(Tensor x, Tensor y, float slope);
    protected abstract void LeakyReluBackwardInternal(Tensor x, Tensor dy, Tensor dx, float slope);
    protected abstract void SigmoidForwardInternal(Tensor x, Tensor y);
    protected abstract void SigmoidBackwardInternal(Tensor y, Tensor dy, Tensor dx);
    protected abstract void TanhForwardInternal(Tensor x, Tensor y);
    protected abstract void TanhBackwardInternal(Tensor y, Tensor dy, Tensor dx);
}
