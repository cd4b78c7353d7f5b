//! The password-hashing pool: a fixed set of worker threads, each reusing its own Argon2 memory, fed by a
//! bounded queue. Hashing holds at most workers × 19 MiB however many people sign up or in at once; before it,
//! every sign-up got its own blocking thread and 19 MiB, and a crowd of them took the server to gigabytes the
//! allocator never returned.
//!
//! A request that finds the queue full, or that no worker starts within the wait, is refused with
//! `server_busy`: a quick "try again" is better than a sign-in that hangs behind hundreds of others.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::Block;
use tokio::sync::oneshot;

use super::password;
use crate::error::{AppError, AppResult};
use crate::telemetry::{PASSWORD_HASHES_REFUSED, PASSWORD_HASHES_RUNNING, PASSWORD_HASHES_RUNNING_MAX};

/// How big the pool is and how long requests may wait for it.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    pub workers: usize,
    /// Requests that may wait per worker; past that the queue is full.
    pub queue_per_worker: usize,
    /// How long a request waits for a worker to start on it.
    pub wait: Duration,
}

/// Hashes and verifies passwords on the pool. Cheap to clone; the workers stop when the last clone is gone.
#[derive(Clone)]
pub struct HashingPool {
    queue: SyncSender<Job>,
    wait: Duration,
    in_flight: Arc<InFlight>,
}

/// One piece of work for a worker: it runs `work` with its memory, unless the requester gave up first.
struct Job {
    /// Set by whichever comes first: a worker starting the job, or the requester giving up on the wait.
    claimed: Arc<AtomicBool>,
    work: Work,
}

/// A hash or a verification, given the worker's memory; it sends its own result to whoever asked.
type Work = Box<dyn FnOnce(&mut [Block]) + Send>;

/// How many hashes run right now and the most that ever ran at once.
#[derive(Debug, Default)]
pub struct InFlight {
    running: AtomicUsize,
    running_max: AtomicUsize,
}

impl InFlight {
    const fn new() -> Self {
        Self { running: AtomicUsize::new(0), running_max: AtomicUsize::new(0) }
    }

    fn start(&self) {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.running_max.fetch_max(now, Ordering::SeqCst);
    }

    fn finish(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    pub fn running_max(&self) -> usize {
        self.running_max.load(Ordering::SeqCst)
    }
}

/// The whole process's hashing, for the metrics (tests run several servers, and so several pools, in one).
static PROCESS_IN_FLIGHT: InFlight = InFlight::new();

fn publish_process_in_flight() {
    metrics::gauge!(PASSWORD_HASHES_RUNNING).set(PROCESS_IN_FLIGHT.running() as f64);
    metrics::gauge!(PASSWORD_HASHES_RUNNING_MAX).set(PROCESS_IN_FLIGHT.running_max() as f64);
}

impl HashingPool {
    pub fn start(size: PoolSize) -> std::io::Result<Self> {
        let workers = size.workers.max(1);
        let (queue, jobs) = sync_channel::<Job>(workers * size.queue_per_worker);
        let jobs = Arc::new(Mutex::new(jobs));
        let in_flight = Arc::new(InFlight::default());
        for n in 0..workers {
            let (jobs, in_flight) = (Arc::clone(&jobs), Arc::clone(&in_flight));
            std::thread::Builder::new()
                .name(format!("password-hasher-{n}"))
                .spawn(move || work_through(&jobs, &in_flight))?;
        }
        publish_process_in_flight();
        Ok(Self { queue, wait: size.wait, in_flight })
    }

    /// This pool's own counts (the metrics add up every pool in the process).
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// A new PHC string for `password`.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.run(Turn::Bounded, move |memory| password::hash(&password, memory)).await?.map_err(AppError::internal)
    }

    /// A new PHC string, waiting as long as it takes: for startup (the dummy hash), where no person is waiting
    /// and a tiny test pool must not refuse the server its start.
    pub async fn hash_patiently(&self, password: String) -> AppResult<String> {
        self.run(Turn::Patient, move |memory| password::hash(&password, memory)).await?.map_err(AppError::internal)
    }

    /// Whether `password` matches the PHC string `stored`.
    pub async fn verify(&self, password: String, stored: String) -> AppResult<bool> {
        self.run(Turn::Bounded, move |memory| password::verify(&password, &stored, memory))
            .await?
            .map_err(AppError::internal)
    }

    async fn run<T: Send + 'static>(
        &self,
        turn: Turn,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> AppResult<T> {
        let (reply, mut answer) = oneshot::channel();
        let claimed = Arc::new(AtomicBool::new(false));
        let job = Job {
            claimed: Arc::clone(&claimed),
            work: Box::new(move |memory| {
                let _ = reply.send(work(memory));
            }),
        };
        let stopped = || AppError::internal("the password hashers have stopped");
        if let Turn::Patient = turn {
            let queue = self.queue.clone();
            tokio::task::spawn_blocking(move || queue.send(job))
                .await
                .map_err(AppError::internal)?
                .map_err(|_| stopped())?;
            return answer.await.map_err(|_| AppError::internal("password hashing failed"));
        }
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(refuse("queue_full")),
            Err(TrySendError::Disconnected(_)) => return Err(stopped()),
        }
        let finished = match tokio::time::timeout(self.wait, &mut answer).await {
            Ok(finished) => finished,
            // Nobody started it in time: take it back, unless a worker claimed it just now.
            Err(_) if !claimed.swap(true, Ordering::SeqCst) => return Err(refuse("wait_elapsed")),
            Err(_) => answer.await,
        };
        // The reply is dropped unsent only if the work panicked.
        finished.map_err(|_| AppError::internal("password hashing failed"))
    }
}

/// Whether a job takes its turn within the pool's bounds or waits for it however long.
enum Turn {
    Bounded,
    Patient,
}

fn refuse(reason: &'static str) -> AppError {
    metrics::counter!(PASSWORD_HASHES_REFUSED, "reason" => reason).increment(1);
    AppError::ServerBusy
}

/// A worker's life: take the next job, run it with this worker's memory, until the pool is dropped.
fn work_through(jobs: &Mutex<Receiver<Job>>, in_flight: &InFlight) {
    let mut memory = password::default_memory();
    loop {
        let next = jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
        let Ok(job) = next else { return };
        if job.claimed.swap(true, Ordering::SeqCst) {
            continue; // its requester stopped waiting and has answered `server_busy`
        }
        in_flight.start();
        PROCESS_IN_FLIGHT.start();
        publish_process_in_flight();
        // A panic drops the reply (the request answers 500) but must not cost the pool a worker.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| (job.work)(&mut memory)));
        in_flight.finish();
        PROCESS_IN_FLIGHT.finish();
        publish_process_in_flight();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(workers: usize, queue_per_worker: usize, wait: Duration) -> HashingPool {
        HashingPool::start(PoolSize { workers, queue_per_worker, wait }).unwrap()
    }

    #[tokio::test]
    async fn hashes_made_by_the_pool_verify_on_it() {
        let pool = pool(2, 8, Duration::from_secs(10));
        let stored = pool.hash("hunter22".into()).await.unwrap();
        assert!(pool.verify("hunter22".into(), stored.clone()).await.unwrap());
        assert!(!pool.verify("hunter23".into(), stored).await.unwrap());
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_there_are_workers() {
        let pool = pool(2, 64, Duration::from_secs(60));
        let hashes: Vec<_> = (0..12).map(|n| tokio::spawn(pool.clone().hash_owned(format!("password {n}")))).collect();
        for hash in hashes {
            hash.await.unwrap().unwrap();
        }
        assert!((1..=2).contains(&pool.in_flight().running_max()));
    }

    #[tokio::test]
    async fn a_full_queue_answers_server_busy_at_once() {
        let pool = pool(1, 0, Duration::from_secs(60));
        let hashes: Vec<_> = (0..8).map(|n| tokio::spawn(pool.clone().hash_owned(format!("password {n}")))).collect();
        let mut busy = 0;
        for hash in hashes {
            match hash.await.unwrap() {
                Ok(_) => {}
                Err(AppError::ServerBusy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert!(busy > 0, "8 hashes at once on one worker with no queue: some are refused");
    }

    impl HashingPool {
        async fn hash_owned(self, password: String) -> AppResult<String> {
            self.hash(password).await
        }
    }
}
