namespace GpuNet.Training;

/// <summary>The files <see cref="Trainer"/> writes in a run folder, and the rules that keep a run there.</summary>
internal static class RunFolder
{
    /// <summary>Every file a run writes; any of them means the folder holds a run.</summary>
    public static readonly string[] Files =
        [Trainer.LastCheckpoint, Trainer.BestCheckpoint, Trainer.MetricsFile,
            Trainer.CurvesChart + ".png", Trainer.CurvesChart + ".svg", Trainer.SkippedFile];

    /// <summary>
    /// Before a new run in <paramref name="dir"/>: a file there is an error, and so is a folder holding a run unless
    /// <paramref name="overwrite"/> (then <see cref="ClearOldRun"/> removes it once the new run has its data).
    /// </summary>
    public static void CheckNew(string dir, bool overwrite)
    {
        if (File.Exists(dir))
            throw new ArgumentException($"{dir}: is a file, not a folder; give --out a folder for the run");
        var found = Files.Where(f => File.Exists(Path.Combine(dir, f))).ToList();
        if (found.Count > 0 && !overwrite)
            throw new ArgumentException($"{dir}: already holds a run ({string.Join(", ", found)}); continue it with " +
                $"`gpunet train --resume {dir}`, choose another --out folder, or add --overwrite to replace it");
    }

    /// <summary>Removes an earlier run's files from <paramref name="dir"/> (with --overwrite), nothing else.</summary>
    public static void ClearOldRun(string dir)
    {
        foreach (var f in Files.Select(f => Path.Combine(dir, f)).Where(File.Exists)) File.Delete(f);
    }

    /// <summary>Removes the temporary files a killed run left in <paramref name="dir"/>, reporting each.</summary>
    public static void RemoveStaleTemps(string dir, ITrainingObserver obs)
    {
        foreach (var f in AtomicFile.RemoveStale(dir, Files))
            obs.Message($"removed {f}, left by a run that stopped while writing it");
    }
}
