namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>
    /// Local response normalisation across channels (AlexNet §3.3, Caffe's ACROSS_CHANNELS):
    /// scale = k + α/size · Σ_{c' in window(c)} x², y = x · scale^−β. x, y, scale: (N, C, H, W); scale is kept for
    /// backward.
    /// </summary>
    public void LrnForward(Tensor x, Tensor y, Tensor scale, LrnParameters p)
    {
        CheckLrn(x, y, scale, p);
        LrnForwardInternal(x, y, scale, p);
    }

    /// <summary>dx = dy · scale^−β − (2αβ/size) · x · Σ_{window} dy · y / scale. dx is overwritten.</summary>
    public void LrnBackward(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx, LrnParameters p)
    {
        CheckLrn(x, y, scale, p);
        Check(dy, nameof(dy), x.Shape); Check(dx, nameof(dx), x.Shape);
        LrnBackwardInternal(x, y, scale, dy, dx, p);
    }

    private void CheckLrn(Tensor x, Tensor y, Tensor scale, LrnParameters p)
    {
        Check(x, nameof(x));
        if (x.Rank != 4) throw new ArgumentException($"LRN input must be (N, C, H, W), got {Shapes.Format(x.Shape)}");
        if (p.Size <= 0 || p.Size % 2 == 0)
            throw new ArgumentException($"LRN size must be odd and positive, got {p.Size}");
        if (!(p.K > 0) || !(p.Alpha >= 0)) throw new ArgumentException(
            $"LRN needs k > 0 and alpha >= 0 (the scale k + alpha/size · Σx² is raised to −beta), got k={p.K}, " +
            $"alpha={p.Alpha}");
        if (p.Groups < 1 || x.Shape[1] % p.Groups != 0)
            throw new ArgumentException($"LRN groups={p.Groups} must divide the {x.Shape[1]} channels");
        Check(y, nameof(y), x.Shape); Check(scale, nameof(scale), x.Shape);
    }

    /// <summary>
    /// Batch normalisation, training mode, per channel over N and the spatial positions. x, y: (N, C) or (N, C, H, W);
    /// gamma, beta, running*, save*: (C). Saves the batch mean and 1/sqrt(var + eps) for backward and updates
    /// running = (1 − momentum) · running + momentum · batch (unbiased variance for the running value).
    /// </summary>
    public void BatchNormForwardTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, float momentum, float epsilon)
    {
        var (n, c, inner) = Nci(x, nameof(x));
        Check(x, nameof(x)); Check(y, nameof(y), x.Shape);
        foreach (var (t, name) in new[] { (gamma, nameof(gamma)), (beta, nameof(beta)),
            (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)), (saveMean, nameof(saveMean)),
                (saveInvStd, nameof(saveInvStd)) })
            Check(t, name, c);
        BatchNormForwardTrainingInternal(x, gamma, beta, y, runningMean, runningVar, saveMean, saveInvStd, momentum,
            epsilon, n, c, inner);
    }

    /// <summary>
    /// Batch normalisation, inference mode: y = gamma · (x − runningMean) / sqrt(runningVar + eps) + beta.
    /// </summary>
    public void BatchNormForwardInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        Tensor y, float epsilon)
    {
        var (n, c, inner) = Nci(x, nameof(x));
        Check(x, nameof(x)); Check(y, nameof(y), x.Shape);
        foreach (var (t, name) in new[] { (gamma, nameof(gamma)), (beta, nameof(beta)),
            (runningMean, nameof(runningMean)), (runningVar, nameof(runningVar)) })
            Check(t, name, c);
        BatchNormForwardInferenceInternal(x, gamma, beta, runningMean, runningVar, y, epsilon, n, c, inner);
    }

    /// <summary>Backward of training-mode batch norm; dx, dgamma, dbeta overwritten.</summary>
    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx,
        Tensor dgamma, Tensor dbeta)
    {
        var (n, c, inner) = Nci(x, nameof(x));
        Check(x, nameof(x)); Check(dy, nameof(dy), x.Shape); Check(dx, nameof(dx), x.Shape);
        foreach (var (t, name) in new[] { (gamma, nameof(gamma)), (saveMean, nameof(saveMean)),
            (saveInvStd, nameof(saveInvStd)), (dgamma, nameof(dgamma)), (dbeta, nameof(dbeta)) })
            Check(t, name, c);
        BatchNormBackwardInternal(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, n, c, inner);
    }

    protected abstract void LrnForwardInternal(Tensor x, Tensor y, Tensor scale, LrnParameters p);
    protected abstract void LrnBackwardInternal(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx,
        LrnParameters p);
    protected abstract void BatchNormForwardTrainingInternal(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, float momentum, float epsilon, int n,
            int c, int inner);
    protected abstract void BatchNormForwardInferenceInternal(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, Tensor y, float epsilon, int n, int c, int inner);
    protected abstract void BatchNormBackwardInternal(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
        Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int inner);
}
