package pruner

import "sync"

// workQueue hands the reconciler's workers their next piece of work: an
// instance target of a project already started, or else the next project.
// Taking instance targets first bounds what is held in memory to the
// instance listings of the projects under way, while letting every worker
// help with a project that has many instances to write.
//
// Projects come in as the listing finds them (addProjects), while the
// first ones are already being pruned; closeProjects says none will come.
type workQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    []func() // instance targets, first in first out
	next    int      // the next project to start
	n       int      // how many projects there are so far
	closed  bool     // no more projects will be added
	running int      // projects started and not done: they may add jobs
	stopped bool     // no project starts any more
}

func newWorkQueue() *workQueue {
	q := &workQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// addProjects says that n more projects can be started.
func (q *workQueue) addProjects(n int) {
	q.mu.Lock()
	q.n += n
	q.mu.Unlock()
	q.cond.Broadcast()
}

// closeProjects says that no more projects will be added.
func (q *workQueue) closeProjects() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// take returns the next job, or else the index of the next project to
// start, or ok false once nothing is left and nothing more can come.
func (q *workQueue) take() (job func(), project int, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		switch {
		case len(q.jobs) > 0:
			job = q.jobs[0]
			q.jobs[0] = nil // let the job's listing go once done
			q.jobs = q.jobs[1:]
			return job, -1, true
		case !q.stopped && q.next < q.n:
			q.next++
			q.running++
			return nil, q.next - 1, true
		case q.running == 0 && (q.closed || q.stopped):
			return nil, -1, false
		}
		q.cond.Wait()
	}
}

// add queues an instance target. Jobs are run even after stop, so that
// each one can report that it did not start.
func (q *workQueue) add(job func()) {
	q.mu.Lock()
	q.jobs = append(q.jobs, job)
	q.mu.Unlock()
	q.cond.Signal()
}

// projectDone says that a project taken from take adds no more jobs.
func (q *workQueue) projectDone() {
	q.mu.Lock()
	q.running--
	q.mu.Unlock()
	q.cond.Broadcast()
}

// stop starts no further project.
func (q *workQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// started tells how many projects were started.
func (q *workQueue) started() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next
}
