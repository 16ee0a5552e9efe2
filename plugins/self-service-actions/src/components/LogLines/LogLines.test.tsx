import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/test-utils';
import { LogLines } from './LogLines';

describe('LogLines', () => {
  it('lists the lines as a labelled list, without colour codes', async () => {
    await renderInTestApp(<LogLines label="Log of Build" lines={['\u001b[32mcompiling\u001b[0m', 'linking']} />);
    const list = screen.getByRole('list', { name: 'Log of Build' });
    expect(within(list).getAllByRole('listitem').map(item => item.textContent)).toEqual(['1compiling', '2linking']);
  });

  it('keeps the lines that match the search, marking the match', async () => {
    await renderInTestApp(<LogLines label="Log" lines={['Applying change', 'Waiting for rollout', 'Rollout finished']} />);
    await userEvent.type(screen.getByLabelText('Search the log'), 'rollout');
    const items = within(screen.getByRole('list', { name: 'Log' })).getAllByRole('listitem');
    expect(items.map(item => item.textContent)).toEqual(['2Waiting for rollout', '3Rollout finished']);
    expect(screen.getByTestId('log-matches')).toHaveTextContent('2 of 3 lines');
    expect(items[1].querySelector('mark')).toHaveTextContent('Rollout');
  });
});
