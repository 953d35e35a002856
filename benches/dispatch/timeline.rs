//! The engine's CPU over time: sampled every 20 ms on its own thread, read back at any
//! instant by interpolation, and its idle use.

use super::*;

/// Samples a process's CPU time every 20 ms on its own OS thread, with wall-clock times
/// comparable to the emulator's receive stamps.
pub(super) struct CpuTimeline {
    pub(super) samples: Arc<Mutex<Vec<(SystemTime, f64)>>>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) handle: Option<std::thread::JoinHandle<()>>,
}

impl CpuTimeline {
    pub(super) fn start(pid: u32) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = clock_ticks();
        let (s, st) = (samples.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let c = cpu_time(Some(pid), ticks).as_secs_f64();
                s.lock().expect("samples").push((SystemTime::now(), c));
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self {
            samples,
            stop,
            handle: Some(handle),
        }
    }

    pub(super) fn finish(mut self) -> Vec<(SystemTime, f64)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        std::mem::take(&mut *self.samples.lock().expect("samples"))
    }
}

/// CPU seconds at `t`, interpolated between samples (`None` before the first sample).
pub(super) fn cpu_at(samples: &[(SystemTime, f64)], t: SystemTime) -> Option<f64> {
    let k = samples.iter().position(|(at, _)| *at >= t);
    match k {
        None => samples.last().map(|s| s.1),
        Some(0) => (samples[0].0 == t).then_some(samples[0].1),
        Some(k) => {
            let ((t0, c0), (t1, c1)) = (samples[k - 1], samples[k]);
            let f = secs_between(t0, t) / secs_between(t0, t1).max(1e-9);
            Some(c0 + (c1 - c0) * f)
        }
    }
}

/// A process's idle CPU use (CPU seconds per second) over `secs`.
pub(super) async fn idle_cpu(pid: u32, secs: f64) -> f64 {
    let ticks = clock_ticks();
    let c0 = cpu_time(Some(pid), ticks);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let c1 = cpu_time(Some(pid), ticks);
    (c1 - c0).as_secs_f64() / t.elapsed().as_secs_f64()
}
