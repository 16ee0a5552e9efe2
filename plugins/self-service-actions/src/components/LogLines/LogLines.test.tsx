import { fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { LogLines } from './LogLines';

describe('LogLines', () => {
  it('lists the lines as a labelled list, without colour codes', async () => {
    await renderInTestApp(<LogLines label="Log of Build" lines={['\u001b[32mcompiling\u001b[0m', 'linking']} />);
    const list = screen.getByRole('list', { name: 'Log of Build' });
    expect(within(list).getAllByRole('listitem').map(item => item.textContent)).toEqual(['1compiling', '2linking']);
  });

  it('numbers the lines from where the log starts after dropped lines', async () => {
    await renderInTestApp(<LogLines label="Log" lines={['later', 'latest']} firstLineNumber={8} />);
    const items = within(screen.getByRole('list', { name: 'Log' })).getAllByRole('listitem');
    expect(items.map(item => item.textContent)).toEqual(['8later', '9latest']);
  });

  it('keeps the lines that match the search, marking the match', async () => {
    await renderInTestApp(<LogLines label="Log" lines={['Applying change', 'Waiting for rollout', 'Rollout finished']} />);
    await userEvent.type(screen.getByLabelText('Search the log'), 'rollout');
    const items = within(screen.getByRole('list', { name: 'Log' })).getAllByRole('listitem');
    expect(items.map(item => item.textContent)).toEqual(['2Waiting for rollout', '3Rollout finished']);
    expect(screen.getByTestId('log-matches')).toHaveTextContent('2 of 3 lines');
    expect(items[1].querySelector('mark')).toHaveTextContent('Rollout');
  });

  it('scrolls in its own focusable box and, following a running step, keeps the newest line in view until the user scrolls up', async () => {
    // jsdom lays nothing out: the box is 200 px high and its content 1000 px
    jest.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(1000);
    jest.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(200);
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`);
    const { rerender } = await renderInTestApp(<LogLines label="Log of Deploy" lines={lines.slice(0, 40)} follow />);
    const box = screen.getByRole('region', { name: 'Log of Deploy, scrollable' });
    expect(box).toHaveAttribute('tabindex', '0');
    expect(box.scrollTop).toBe(1000);

    box.scrollTop = 300;
    fireEvent.scroll(box);
    rerender(<LogLines label="Log of Deploy" lines={lines} follow />);
    expect(box.scrollTop).toBe(300);

    box.scrollTop = 800;
    fireEvent.scroll(box);
    rerender(<LogLines label="Log of Deploy" lines={[...lines, 'line 51']} follow />);
    expect(box.scrollTop).toBe(1000);
    jest.restoreAllMocks();
  });

  it('starts at the first line of a step that is not running', async () => {
    jest.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(1000);
    await renderInTestApp(<LogLines label="Log" lines={['a', 'b']} />);
    expect(screen.getByRole('region', { name: 'Log, scrollable' }).scrollTop).toBe(0);
    jest.restoreAllMocks();
  });
});
